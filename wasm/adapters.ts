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
