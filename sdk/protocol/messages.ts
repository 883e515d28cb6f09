import { decodeCbor, encodeCbor } from './cbor.js';
import { ProtocolError } from './errors.js';
import { LIMITS, MAX_BLOCK_SIZE, MAX_BLOCKS } from './limits.js';
import { bytes, DIGEST, NAME, oneOf, optionalText, record, text, uint } from './schema.js';

// The unsigned messages. Blocks need no signature: each is checked against the signed
// manifest's per-block hash before it is written. Repairs, state and full-image requests are
// advisory: the worst a forger can do is make a publisher resend blocks or mislabel a row.

/** One block of a patch: `d` the patch's sha256 (32 bytes), `i` the index, `b` the bytes. */
export interface BlockMessage {
  readonly digest: Uint8Array;
  readonly index: number;
  readonly data: Uint8Array;
}

export const encodeBlock = (m: BlockMessage): Uint8Array =>
  encodeCbor({ d: m.digest, i: m.index, b: m.data });

export function decodeBlock(payload: Uint8Array): BlockMessage {
  const o = record(decodeCbor(payload, LIMITS.block, 'block'), 'block');
  return {
    digest: bytes(o, 'd', 'block', { exact: 32 }),
    index: uint(o, 'i', 'block', MAX_BLOCKS - 1),
    data: bytes(o, 'b', 'block', { max: MAX_BLOCK_SIZE }),
  };
}

/** A device's request for the blocks it lacks (`miss`: bitmap, bit set = missing). */
export interface RepairRequest {
  readonly digest: Uint8Array;
  readonly device: string;
  readonly missing: Uint8Array;
}

export const encodeRepair = (m: RepairRequest): Uint8Array =>
  encodeCbor({ d: m.digest, dev: m.device, miss: m.missing });

export function decodeRepair(payload: Uint8Array): RepairRequest {
  const o = record(decodeCbor(payload, LIMITS.repair, 'repair'), 'repair');
  return {
    digest: bytes(o, 'd', 'repair', { exact: 32 }),
    device: text(o, 'dev', 'repair', 64, NAME),
    missing: bytes(o, 'miss', 'repair', { max: MAX_BLOCKS / 8 }),
  };
}

/** A device whose image is not the manifest's precursor asks for a full image instead. */
export interface FullImageRequest {
  readonly device: string;
  readonly sequence: number;
  /** The image the device runs now (may be unknown: 'none'). */
  readonly have: string;
  readonly want: string;
}

export const encodeFullImageRequest = (m: FullImageRequest): Uint8Array =>
  encodeCbor({ dev: m.device, seq: m.sequence, have: m.have, want: m.want });

export function decodeFullImageRequest(payload: Uint8Array): FullImageRequest {
  const o = record(decodeCbor(payload, LIMITS.fullRequest, 'full-image request'), 'full-image request');
  return {
    device: text(o, 'dev', 'full-image request', 64, NAME),
    sequence: uint(o, 'seq', 'full-image request'),
    have: text(o, 'have', 'full-image request', 71),
    want: text(o, 'want', 'full-image request', 71, DIGEST),
  };
}

export const PHASES = [
  'idle',
  // The update policy holds the download or the switch (the reason says until when or what).
  'waiting',
  'downloading',
  'verifying',
  'applying',
  'handing-over',
  'running',
  'failed',
  'offline',
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * A device's retained state. `phase` is what it is doing; `rejection` is the last message it
 * refused and why (a refused manifest does not stop the running version, so it is not a phase).
 */
export interface DeviceState {
  readonly device: string;
  readonly phase: Phase;
  /** Running image (or a label such as v1) and the sequence installed with it. */
  readonly version?: string;
  readonly installedSeq?: number;
  /** While downloading: the manifest's sequence, blocks held and blocks in all. */
  readonly targetSeq?: number;
  readonly have?: number;
  readonly total?: number;
  /** Why `failed`, or what `waiting` waits for. */
  readonly reason?: string;
  readonly rejection?: { readonly code: string; readonly detail: string; readonly at: number };
  readonly at: number;
}

export function encodeState(s: DeviceState): Uint8Array {
  const o: Record<string, unknown> = { dev: s.device, ph: s.phase, at: s.at };
  if (s.version !== undefined) o.ver = s.version;
  if (s.installedSeq !== undefined) o.iseq = s.installedSeq;
  if (s.targetSeq !== undefined) o.tseq = s.targetSeq;
  if (s.have !== undefined) o.have = s.have;
  if (s.total !== undefined) o.tot = s.total;
  if (s.reason !== undefined) o.why = s.reason;
  if (s.rejection) o.rej = { c: s.rejection.code, d: s.rejection.detail, at: s.rejection.at };
  return encodeCbor(o);
}

export function decodeState(payload: Uint8Array): DeviceState {
  const w = 'state';
  const o = record(decodeCbor(payload, LIMITS.state, w), w);
  const opt = (f: string) => (o[f] === undefined ? undefined : uint(o, f, w));
  let rejection: DeviceState['rejection'];
  if (o.rej !== undefined) {
    const r = record(o.rej, 'state.rej');
    rejection = {
      code: text(r, 'c', 'state.rej', 64),
      detail: text(r, 'd', 'state.rej', 512),
      at: uint(r, 'at', 'state.rej'),
    };
  }
  const state: DeviceState = {
    device: text(o, 'dev', w, 64, NAME),
    phase: oneOf(o, 'ph', w, PHASES),
    version: optionalText(o, 'ver', w, 128),
    installedSeq: opt('iseq'),
    targetSeq: opt('tseq'),
    have: opt('have'),
    total: opt('tot'),
    reason: optionalText(o, 'why', w, 512),
    rejection,
    at: uint(o, 'at', w),
  };
  if (state.have !== undefined && state.total !== undefined && state.have > state.total)
    throw new ProtocolError('PROTOCOL_MALFORMED', 'state: have exceeds total');
  return state;
}
