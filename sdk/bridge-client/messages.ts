import { BridgeError } from './errors.js';

/**
 * The bridge's messages: CBOR maps whose `t` names the kind. Resource payloads (`d`, `state`)
 * are opaque to the bridge; everything else is checked here before use, on both sides.
 */

/** App -> agent. */
export type AppMessage =
  | { t: 'hello'; app: string; version: string }
  | { t: 'acquire'; r: string }
  | { t: 'release'; r: string; state?: unknown }
  | { t: 'cmd'; r: string; d: unknown }
  | { t: 'lock'; reason: string }
  | { t: 'unlock' }
  | { t: 'health'; ok: boolean; detail?: string }
  | { t: 'handover-complete' };

/** Agent -> app. */
export type AgentMessage =
  | { t: 'welcome'; app: string; version: string; handover: boolean }
  | { t: 'granted'; r: string; state?: unknown; from?: string }
  | { t: 'queued'; r: string; holder: string }
  | { t: 'denied'; r: string; reason: string }
  | { t: 'revoked'; r: string; reason: string }
  | { t: 'handover-request'; r: string; to: string }
  | { t: 'evt'; r: string; d: unknown }
  | { t: 'error'; code: string; message: string };

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function bad(what: string): never {
  throw new BridgeError('BRIDGE_BAD_MESSAGE', `bridge message rejected: ${what}`);
}

function str(m: Record<string, unknown>, key: string, max = 256): string {
  const v = m[key];
  if (typeof v !== 'string' || v.length > max) bad(`'${key}' must be a string of at most ${max} characters`);
  return v;
}

function resource(m: Record<string, unknown>): string {
  const r = str(m, 'r', 64);
  if (!NAME.test(r)) bad(`resource name '${r}' must match ${NAME}`);
  return r;
}

function asMap(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || raw instanceof Uint8Array)
    bad('not a CBOR map');
  return raw as Record<string, unknown>;
}

/** Checks a message an app sent; throws BRIDGE_BAD_MESSAGE naming what is wrong. */
export function parseAppMessage(raw: unknown): AppMessage {
  const m = asMap(raw);
  switch (m.t) {
    case 'hello':
      return { t: 'hello', app: str(m, 'app', 64), version: str(m, 'version', 64) };
    case 'acquire':
      return { t: 'acquire', r: resource(m) };
    case 'release':
      return 'state' in m
        ? { t: 'release', r: resource(m), state: m.state }
        : { t: 'release', r: resource(m) };
    case 'cmd':
      if (!('d' in m)) bad("'cmd' needs a 'd' payload");
      return { t: 'cmd', r: resource(m), d: m.d };
    case 'lock':
      return { t: 'lock', reason: str(m, 'reason') };
    case 'unlock':
      return { t: 'unlock' };
    case 'health': {
      if (typeof m.ok !== 'boolean') bad("'health' needs a boolean 'ok'");
      return m.detail === undefined
        ? { t: 'health', ok: m.ok }
        : { t: 'health', ok: m.ok, detail: str(m, 'detail') };
    }
    case 'handover-complete':
      return { t: 'handover-complete' };
    default:
      return bad(`unknown kind ${JSON.stringify(m.t)}`);
  }
}

/** Checks a message the agent sent (the client library trusts nothing either). */
export function parseAgentMessage(raw: unknown): AgentMessage {
  const m = asMap(raw);
  switch (m.t) {
    case 'welcome':
      if (typeof m.handover !== 'boolean') bad("'welcome' needs a boolean 'handover'");
      return { t: 'welcome', app: str(m, 'app', 64), version: str(m, 'version', 64), handover: m.handover };
    case 'granted': {
      const out: AgentMessage = { t: 'granted', r: resource(m) };
      if ('state' in m) out.state = m.state;
      if (m.from !== undefined) out.from = str(m, 'from', 64);
      return out;
    }
    case 'queued':
      return { t: 'queued', r: resource(m), holder: str(m, 'holder', 64) };
    case 'denied':
      return { t: 'denied', r: resource(m), reason: str(m, 'reason') };
    case 'revoked':
      return { t: 'revoked', r: resource(m), reason: str(m, 'reason') };
    case 'handover-request':
      return { t: 'handover-request', r: resource(m), to: str(m, 'to', 64) };
    case 'evt':
      return { t: 'evt', r: resource(m), d: m.d };
    case 'error':
      return { t: 'error', code: str(m, 'code', 64), message: str(m, 'message', 1024) };
    default:
      return bad(`unknown kind ${JSON.stringify(m.t)}`);
  }
}

/** Where the agent mounts the bridge inside every app container. */
export const BRIDGE_MOUNT_DIR = '/run/aloft';
export const BRIDGE_SOCKET_NAME = 'bridge.sock';
export const DEFAULT_BRIDGE_SOCKET = `${BRIDGE_MOUNT_DIR}/${BRIDGE_SOCKET_NAME}`;
