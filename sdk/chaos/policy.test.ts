import { describe, expect, it } from 'vitest';
import { isChaosError } from './errors.js';
import { generateName } from './names.js';
import { normalizePolicy } from './policy.js';
import { seededRng } from './random.js';

const defaults = { name: () => 'brave_falcon', now: () => '2026-01-01T00:00:00.000Z' };

describe('policies from the API', () => {
  it("reads Entropy's form fields (the demo's create command) with defaults", () => {
    const p = normalizePolicy(
      {
        frequency: '10',
        probability: '.50',
        failures: 'latency',
        image: 'allingeek/gremlins',
        criteria: 'service=PingGoogle',
      },
      defaults,
    );
    expect(p).toMatchObject({
      name: 'brave_falcon',
      image: 'allingeek/gremlins',
      criteria: ['service=PingGoogle'],
      failures: [{ kind: 'latency', delayMs: 100 }],
      frequency: 10,
      probability: 0.5,
      duration: 0,
      runFor: 0,
      dryRun: false,
      path: 'auto',
      selection: { mode: 'all' },
    });
  });

  it('takes repeated form keys, any key spelling, and JSON arrays', () => {
    const form = normalizePolicy(
      {
        Name: 'p1',
        criteria: ['a', 'b=c'],
        failure: ['latency:50ms', 'loss:5%'],
        'run-for': '60',
        dry_run: 'true',
        count: '2',
      },
      defaults,
    );
    expect(form.criteria).toEqual(['a', 'b=c']);
    expect(form.failures.map((f) => f.kind)).toEqual(['latency', 'loss']);
    expect(form).toMatchObject({
      name: 'p1',
      runFor: 60,
      dryRun: true,
      selection: { mode: 'count', count: 2 },
    });
    const json = normalizePolicy(
      { namePattern: '^web-', failures: [{ kind: 'pause' }], percent: 50, jitter: 0.2 },
      defaults,
    );
    expect(json).toMatchObject({
      namePattern: '^web-',
      selection: { mode: 'percent', percent: 50 },
      jitter: 0.2,
    });
  });

  it('refuses policies that would hit every container, or are malformed', () => {
    const cases: Record<string, unknown>[] = [
      { failures: 'latency' },
      { criteria: 'a' },
      { criteria: 'a', failures: 'latency', probability: '2' },
      { criteria: 'a', failures: ['kill', 'stop'] },
      { criteria: 'a', failures: ['latency', 'latency:5ms'] },
      { criteria: 'a', failures: 'latency', name: 'bad name!' },
      { criteria: 'a', failures: 'latency', path: 'magic' },
      { namePattern: '(', failures: 'latency' },
    ];
    for (const c of cases) {
      let err: unknown;
      try {
        normalizePolicy(c, defaults);
      } catch (e) {
        err = e;
      }
      expect(isChaosError(err), JSON.stringify(c)).toBe(true);
    }
  });

  it('generates adjective_noun names that are not taken', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 30; i++) taken.add(generateName(seededRng(1), (n) => taken.has(n)));
    expect(taken.size).toBe(30);
    for (const n of taken) expect(n).toMatch(/^[a-z]+_[a-z]+\d*$/);
  });
});
