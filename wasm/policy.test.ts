import { encode } from 'cbor-x';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Decision, evaluatePolicy, isPolicyError, parsePolicy } from '../sdk/policy/index.js';
import { ComponentPolicyError, componentPolicy, type PolicyEngine } from './adapters.js';
import { type LoadedComponent, loadComponent } from './host.js';
import { policyCases } from './testing/policy-vectors.js';

// The component's policy decisions must equal the Node engine's on every shared case: the
// same TypeScript runs in both, and this is where a bundling or WIT-mapping slip would show.

type Outcome = { decision: Decision } | { error: { code: string; path: string; message: string } };

function nodeOutcome(policy: object, facts: Parameters<typeof evaluatePolicy>[1], now: number): Outcome {
  try {
    return { decision: evaluatePolicy(parsePolicy(policy), facts, now) };
  } catch (e) {
    if (isPolicyError(e)) return { error: { code: e.code, path: e.path, message: e.message } };
    throw e;
  }
}

function componentOutcome(
  engine: PolicyEngine,
  source: string | Uint8Array,
  facts: Parameters<typeof evaluatePolicy>[1],
  now: number,
): Outcome {
  try {
    return { decision: engine.evaluate(source, facts, now) };
  } catch (e) {
    if (e instanceof ComponentPolicyError)
      return { error: { code: e.code, path: e.path, message: e.message } };
    throw e;
  }
}

let component: LoadedComponent;
let engine: PolicyEngine;
beforeAll(async () => {
  // The shipped component: QuickJS with the C kernels composed inside.
  component = await loadComponent('qjs-kernels');
  engine = componentPolicy(component);
}, 240_000);

describe('policy vectors (wasm/vectors/policy.json)', () => {
  const cases = policyCases();

  it('has cases for every action and for errors', () => {
    const kinds = new Set(cases.map((c) => c.expect?.action ?? 'error'));
    expect([...kinds].sort()).toEqual(['error', 'refuse', 'update', 'wait']);
  });

  it.each(cases.map((c) => [c.name, c] as const))('node engine: %s', (_, c) => {
    const out = nodeOutcome(c.policy, c.facts, c.now);
    if (c.error) expect('error' in out && { code: out.error.code, path: out.error.path }).toEqual(c.error);
    else expect('decision' in out && out.decision).toMatchObject({ ...c.expect });
  });

  it.each(cases.map((c) => [c.name, c] as const))('component equals node (JSON and CBOR): %s', (_, c) => {
    const want = nodeOutcome(c.policy, c.facts, c.now);
    expect(componentOutcome(engine, JSON.stringify(c.policy), c.facts, c.now)).toEqual(want);
    expect(componentOutcome(engine, new Uint8Array(encode(c.policy)), c.facts, c.now)).toEqual(want);
  });
});

describe('the component', () => {
  it('imports no WASI and no clock: only its own io port, so any component host can run it', () => {
    expect(component.imports).toEqual(['aloft:engine/io']);
  });

  it('validates a policy and names the bad rule', () => {
    expect(() => engine.check('{"version":1,"rules":[]}')).not.toThrow();
    let caught: unknown;
    try {
      engine.check('{"version":1,"rules":[{"name":"low","action":"wait","when":{"battery":{"min":"ten"}}}]}');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ComponentPolicyError);
    expect((caught as ComponentPolicyError).message).toBe(
      'rules[0].when.battery.min: must be a number 0..100',
    );
    expect(() => engine.check('{"version":')).toThrow(/not valid JSON/);
  });
});
