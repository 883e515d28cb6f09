import { describe, expect, it } from 'vitest';
import { policyCases } from '../../wasm/testing/policy-vectors.js';
import { evaluatePolicy, isPolicyError, parsePolicy } from './index.js';

// The shared cases (wasm/vectors/policy.json) against the Node engine alone; wasm/policy.test.ts
// checks the component gives the same answers.
describe('shared policy vectors', () => {
  it.each(policyCases().map((c) => [c.name, c] as const))('%s', (_, c) => {
    try {
      const d = evaluatePolicy(parsePolicy(c.policy), c.facts, c.now);
      expect(c.error).toBeUndefined();
      expect(d).toMatchObject({ ...c.expect });
      expect(d.reason.length).toBeGreaterThan(20);
    } catch (e) {
      if (!isPolicyError(e) || !c.error) throw e;
      expect({ code: e.code, path: e.path }).toEqual(c.error);
    }
  });
});
