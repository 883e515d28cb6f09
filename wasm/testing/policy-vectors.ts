import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY_SOURCE, type DeviceFacts } from '../../sdk/policy/index.js';

export interface PolicyCase {
  name: string;
  /** The policy as data ("default" stands for DEFAULT_POLICY_SOURCE). */
  policy: object;
  facts: DeviceFacts;
  now: number;
  expect?: { action: string; rule: string | null; strategy?: string };
  error?: { code: string; path: string };
}

/** wasm/vectors/policy.json, with "default" resolved. */
export function policyCases(): PolicyCase[] {
  const doc = JSON.parse(readFileSync(new URL('../vectors/policy.json', import.meta.url), 'utf8'));
  return doc.cases.map((c: Omit<PolicyCase, 'policy'> & { policy: object | 'default' }) => ({
    ...c,
    policy: c.policy === 'default' ? DEFAULT_POLICY_SOURCE : c.policy,
  }));
}
