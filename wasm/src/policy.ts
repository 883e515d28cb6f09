// The `policy` interface of the component: a thin adapter from WIT records to sdk/policy. No
// logic lives here; every decision comes from the same evaluatePolicy the Node path calls.
import {
  type Decision,
  type DeviceFacts,
  evaluatePolicy as evaluate,
  isPolicyError,
  parsePolicy,
} from '../../sdk/policy/index.js';

export type PolicySource = { tag: 'json'; val: string } | { tag: 'cbor'; val: Uint8Array };

/** The WIT `facts` record as componentize-qjs hands it over (camelCase fields). */
export interface WitFacts {
  phase: string;
  flightState: string;
  batteryPercent: number;
  charging: boolean;
  linkQuality: number;
  currentVersion: string;
  targetVersion: string;
  cohort: number;
  locks: string[];
}

export interface WitDecision {
  action: Decision['action'];
  strategy: string;
  reason: string;
  rule: string | null;
  retryAt: number | null;
  waitFor: string[];
}

/** A WIT `result` error travels as a thrown value; the record keeps the code and the path. */
function witError(e: unknown): { code: string; path: string; message: string } {
  if (isPolicyError(e)) return { code: e.code, path: e.path, message: e.message };
  return { code: 'POLICY_INTERNAL', path: '', message: e instanceof Error ? e.message : String(e) };
}

export function checkPolicy(source: PolicySource): void {
  try {
    parsePolicy(source.val);
  } catch (e) {
    throw witError(e);
  }
}

export function evaluatePolicy(source: PolicySource, facts: WitFacts, now: number): WitDecision {
  try {
    const d = evaluate(parsePolicy(source.val), facts as unknown as DeviceFacts, now);
    return { ...d, waitFor: [...d.waitFor] };
  } catch (e) {
    throw witError(e);
  }
}
