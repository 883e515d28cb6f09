// Typed facades over the component's exports, shaped like the Node path's API, so tests and
// benchmarks can run one body against either implementation.
import type { Decision, DeviceFacts } from '../sdk/policy/index.js';
import type { LoadedComponent } from './host.js';

export type PolicySource = string | Uint8Array;

export interface PolicyEngine {
  /** Throws { code, path, message } like PolicyError. */
  evaluate(policy: PolicySource, facts: DeviceFacts, now: number): Decision;
  check(policy: PolicySource): void;
}

/** An error from a WIT result: jco throws a ComponentError whose payload is the error record. */
export class ComponentPolicyError extends Error {
  override name = 'ComponentPolicyError';
  constructor(
    readonly code: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function unwrap<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    const payload = (e as { payload?: { code: string; path: string; message: string } }).payload;
    if (payload) throw new ComponentPolicyError(payload.code, payload.path, payload.message);
    throw e;
  }
}

const witSource = (p: PolicySource) =>
  typeof p === 'string' ? { tag: 'json', val: p } : { tag: 'cbor', val: p };

interface WitDecision {
  action: Decision['action'];
  strategy: Decision['strategy'];
  reason: string;
  rule?: string;
  retryAt?: number;
  waitFor: string[];
}

export function componentPolicy(c: LoadedComponent): PolicyEngine {
  const p = c.exports.policy as unknown as {
    evaluatePolicy(source: unknown, facts: unknown, now: number): WitDecision;
    checkPolicy(source: unknown): void;
  };
  return {
    evaluate(policy, facts, now) {
      const witFacts = { ...facts, charging: facts.charging ?? false, locks: [...(facts.locks ?? [])] };
      const d = unwrap(() => p.evaluatePolicy(witSource(policy), witFacts, now));
      return {
        action: d.action,
        strategy: d.strategy,
        reason: d.reason,
        rule: d.rule ?? null,
        retryAt: d.retryAt ?? null,
        waitFor: d.waitFor as Decision['waitFor'],
      };
    },
    check(policy) {
      unwrap(() => p.checkPolicy(witSource(policy)));
    },
  };
}

export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

export interface DeltaEngine {
  inspect(patch: ByteSource): PatchInfo;
  /** Streams the rebuilt layer to `sink`; returns the target digest the patch declared (and that was verified). */
  apply(old: ByteSource, patch: ByteSource, sink: (chunk: Uint8Array) => void): DigestInfo;
}

export interface DigestInfo {
  size: number;
  sha256: string;
  gzip: boolean;
}

export interface PatchInfo {
  version: number;
  kind: string;
  source: DigestInfo;
  target: DigestInfo;
  oldSize: number;
  oldRegions: number;
  oldMetaSize: number;
  headBytes: number;
  streams: { name: string; codec: number; compressedSize: number; rawSize: number }[];
}

/** A WIT delta-error, thrown back as an Error with delta/core's code. */
export class ComponentDeltaError extends Error {
  override name = 'ComponentDeltaError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// jco maps u64 to BigInt; the Node path speaks numbers (sizes stay below 2^53).
const numbers = (v: unknown): unknown => {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(numbers);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numbers(x)]));
  return v;
};

export function componentDelta(c: LoadedComponent): DeltaEngine {
  const d = c.exports.delta as unknown as {
    inspectPatch(patchSize: bigint): unknown;
    applyPatch(oldSize: bigint, patchSize: bigint): unknown;
  };
  const call = <T>(binding: LoadedComponent['io'], fn: () => unknown): T => {
    Object.assign(c.io, binding);
    try {
      return numbers(fn()) as T;
    } catch (e) {
      const payload = (e as { payload?: { code: string; message: string } }).payload;
      if (payload) throw new ComponentDeltaError(payload.code, payload.message);
      throw e;
    } finally {
      c.io.old = undefined;
      c.io.patch = undefined;
      c.io.sink = undefined;
    }
  };
  return {
    inspect: (patch) => call({ patch }, () => d.inspectPatch(BigInt(patch.size))),
    apply: (old, patch, sink) =>
      call({ old, patch, sink }, () => d.applyPatch(BigInt(old.size), BigInt(patch.size))),
  };
}
