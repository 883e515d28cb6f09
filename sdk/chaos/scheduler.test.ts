import { describe, expect, it } from 'vitest';
import { normalizePolicy } from './policy.js';
import { FakeClock, seededRng } from './random.js';
import { type Actuator, remaining, resolveFaults, Scheduler } from './scheduler.js';
import type { AuditEvent, Fault, Policy, Target } from './types.js';

const target = (id: string, labels: Record<string, string> = { app: 'x' }): Target => ({
  id,
  name: id,
  labels,
  running: true,
});

function setup(input: Record<string, unknown>, targets: Target[] = [target('t1')], seed = 1) {
  const clock = new FakeClock(0);
  const calls: string[] = [];
  const audit: Omit<AuditEvent, 'time'>[] = [];
  let failNext = false;
  const actuator: Actuator = {
    async inject(p: Policy, t: Target, faults: Fault[]) {
      if (failNext) {
        failNext = false;
        throw new Error('boom');
      }
      calls.push(`inject ${p.name} ${t.id} @${clock.now()}`);
      return faults.map((f) => ({ fault: f.kind, parameters: { ...f } }));
    },
    async restore(p: Policy, t: Target) {
      calls.push(`restore ${p.name} ${t.id} @${clock.now()}`);
      return [{ fault: 'all', parameters: {} }];
    },
  };
  const list = [...targets];
  const s = new Scheduler({
    clock,
    rng: seededRng(seed),
    source: { list: async () => list },
    actuator,
    audit: (e) => audit.push(e),
  });
  const policy = normalizePolicy(
    { name: 'p', criteria: 'app', failures: 'latency', ...input },
    { name: () => 'x', now: () => '' },
  );
  return { clock, calls, audit, s, policy, list, failOnce: () => (failNext = true) };
}

describe('scheduler (fake clock, seeded randomness)', () => {
  it('rolls every `frequency` seconds: probability 1 injects once and keeps it', async () => {
    const { clock, calls, s, policy } = setup({ frequency: 10, probability: 1 });
    s.add(policy);
    await clock.advance(35_000);
    expect(calls).toEqual(['inject p t1 @0']);
    expect(s.injections()).toHaveLength(1);
  });

  it('probability 0 never injects; 0.5 injects and clears as the seeded rolls fall', async () => {
    const never = setup({ frequency: 1, probability: 0 });
    never.s.add(never.policy);
    await never.clock.advance(60_000);
    expect(never.calls).toEqual([]);

    const half = setup({ frequency: 1, probability: 0.5 }, [target('t1')], 3);
    half.s.add(half.policy);
    await half.clock.advance(200_000);
    const injects = half.calls.filter((c) => c.startsWith('inject')).length;
    const restores = half.calls.filter((c) => c.startsWith('restore')).length;
    expect(injects).toBeGreaterThan(20);
    expect(injects - restores).toBeLessThanOrEqual(1);
    // Same seed, same story.
    const again = setup({ frequency: 1, probability: 0.5 }, [target('t1')], 3);
    again.s.add(again.policy);
    await again.clock.advance(200_000);
    expect(again.calls).toEqual(half.calls);
  });

  it('restores after `duration` and injects again at the next roll', async () => {
    const { clock, calls, s, policy } = setup({ frequency: 10, probability: 1, duration: 3 });
    s.add(policy);
    await clock.advance(25_000);
    expect(calls).toEqual([
      'inject p t1 @0',
      'restore p t1 @3000',
      'inject p t1 @10000',
      'restore p t1 @13000',
      'inject p t1 @20000',
      'restore p t1 @23000',
    ]);
  });

  it('varies each period within the jitter', async () => {
    const { clock, calls, s, policy } = setup({ frequency: 10, probability: 1, duration: 1, jitter: 0.5 });
    s.add(policy);
    await clock.advance(300_000);
    const times = calls.filter((c) => c.startsWith('inject')).map((c) => Number(c.split('@')[1]));
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(15000);
    expect(new Set(gaps).size).toBeGreaterThan(3);
  });

  it('ends the policy after its total run time and restores what it injected', async () => {
    const { clock, calls, s, policy } = setup({ frequency: 10, probability: 1, runFor: 25 });
    s.add(policy);
    await clock.advance(60_000);
    expect(calls).toEqual(['inject p t1 @0', 'restore p t1 @25000']);
    expect(s.has('p')).toBe(false);
  });

  it('a dry run only logs what it would do', async () => {
    const { clock, calls, audit, s, policy } = setup({
      frequency: 10,
      probability: 1,
      duration: 2,
      dryRun: true,
    });
    s.add(policy);
    await clock.advance(5000);
    expect(calls).toEqual([]);
    expect(audit.filter((a) => a.result === 'dry-run').map((a) => a.action)).toEqual(['inject', 'restore']);
  });

  it('deleting a policy and stopping the engine restore every injection', async () => {
    const { clock, calls, s, policy } = setup({ frequency: 10, probability: 1 }, [
      target('t1'),
      target('t2'),
    ]);
    s.add(policy);
    await clock.advance(1000);
    expect(await s.remove('p')).toBe(true);
    expect(calls.filter((c) => c.startsWith('restore')).sort()).toEqual([
      'restore p t1 @1000',
      'restore p t2 @1000',
    ]);
    expect(await s.remove('p')).toBe(false);
    const b = setup({ frequency: 10, probability: 1 });
    b.s.add(b.policy);
    await b.clock.advance(1000);
    await b.s.stop();
    expect(b.calls).toEqual(['inject p t1 @0', 'restore p t1 @1000']);
  });

  it('reports "no target matched" as information, not an error', async () => {
    const { clock, audit, s, policy } = setup({ frequency: 10 }, []);
    s.add(policy);
    await clock.advance(100);
    expect(audit.map((a) => [a.action, a.result])).toEqual([['no-target', 'info']]);
  });

  it('a container started later rolls at once; one we restarted ourselves does not', async () => {
    const { clock, calls, s, policy, list } = setup({ frequency: 100, probability: 1 });
    s.add(policy);
    await clock.advance(1000);
    const late = target('t2');
    list.push(late);
    s.targetStarted(late);
    s.targetStarted(target('other', { nope: '' }));
    await clock.advance(1000);
    expect(calls).toEqual(['inject p t1 @0', 'inject p t2 @1000']);
    s.targetStarted(target('t1'));
    await clock.advance(1000);
    expect(calls).toHaveLength(2);
  });

  it('keeps count selection at N across rolls', async () => {
    const ts = ['a', 'b', 'c', 'd'].map((id) => target(id));
    const { clock, s, policy } = setup({ frequency: 5, probability: 1, count: 2 }, ts);
    s.add(policy);
    await clock.advance(30_000);
    expect(s.injections()).toHaveLength(2);
    expect(remaining({ mode: 'percent', percent: 50 }, 1, 3)).toEqual({ mode: 'count', count: 1 });
  });

  it('a failed injection is audited and not left active', async () => {
    const { clock, audit, s, policy, failOnce } = setup({ frequency: 10, probability: 1 });
    failOnce();
    s.add(policy);
    await clock.advance(100);
    expect(audit.find((a) => a.action === 'inject')).toMatchObject({ result: 'failed', detail: 'boom' });
    expect(s.injections()).toHaveLength(0);
    await clock.advance(10_000);
    expect(s.injections()).toHaveLength(1);
  });

  it('draws a latency range per injection', () => {
    const rng = seededRng(5);
    const drawn = Array.from(
      { length: 100 },
      () => resolveFaults([{ kind: 'latency', delayMs: 100, maxDelayMs: 300 }], rng)[0],
    );
    for (const f of drawn) {
      expect(f.kind).toBe('latency');
      const d = (f as { delayMs: number }).delayMs;
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(300);
    }
    expect(new Set(drawn.map((f) => (f as { delayMs: number }).delayMs)).size).toBeGreaterThan(20);
  });
});
