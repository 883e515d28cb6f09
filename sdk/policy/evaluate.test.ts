import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, evaluatePolicy, isPolicyError } from './index.js';
import { at, facts, policy } from './testing/builders.js';

const NOW = at(2026, 11, 27, 3, 40); // a Friday

describe('evaluatePolicy', () => {
  it('updates with the default strategy when no rule matches and says so', () => {
    const d = evaluatePolicy(policy([{ when: { flightState: 'flying' } }]), facts(), NOW);
    expect(d).toMatchObject({
      action: 'update',
      strategy: 'download-then-kill',
      rule: null,
      retryAt: null,
      waitFor: [],
    });
    expect(d.reason).toBe(
      "Update now (download-then-kill): no rule matched, so the policy's default applies (update).",
    );
  });

  it('lets the first matching rule decide, in order', () => {
    const p = policy([
      { name: 'flying', when: { flightState: 'flying' }, action: 'update', strategy: 'hand-over' },
      { name: 'catch-all', action: 'refuse' },
    ]);
    expect(evaluatePolicy(p, facts({ flightState: 'flying' }), NOW)).toMatchObject({
      action: 'update',
      strategy: 'hand-over',
      rule: 'flying',
    });
    expect(evaluatePolicy(p, facts(), NOW)).toMatchObject({ action: 'refuse', rule: 'catch-all' });
  });

  it('needs every condition of a rule to hold', () => {
    const p = policy([{ name: 'low', when: { battery: { max: 20 }, charging: false } }]);
    expect(evaluatePolicy(p, facts({ batteryPercent: 15 }), NOW).action).toBe('wait');
    expect(evaluatePolicy(p, facts({ batteryPercent: 15, charging: true }), NOW).action).toBe('update');
    expect(evaluatePolicy(p, facts({ batteryPercent: 20 }), NOW).action).toBe('wait'); // max is inclusive
    expect(evaluatePolicy(p, facts({ batteryPercent: 21 }), NOW).action).toBe('update');
  });

  it('explains a wait in words and names the facts to watch', () => {
    const p = policy([
      { name: 'battery reserve', when: { battery: { max: 25 } }, reason: 'Keep it for the flight home.' },
    ]);
    const d = evaluatePolicy(p, facts({ batteryPercent: 12 }), NOW);
    expect(d.waitFor).toEqual(['batteryPercent']);
    expect(d.retryAt).toBeNull();
    expect(d.reason).toBe(
      'Wait: rule "battery reserve" matched: the battery is at 12% (rule: at most 25%). Keep it for the flight home. Ask again when batteryPercent changes.',
    );
  });

  it('watches the facts of earlier rules too, since one of them could start to hold', () => {
    const p = policy([
      { name: 'charging', when: { charging: true }, action: 'update' },
      { name: 'low', when: { battery: { max: 25 } } },
    ]);
    expect(evaluatePolicy(p, facts({ batteryPercent: 10 }), NOW).waitFor).toEqual([
      'charging',
      'batteryPercent',
    ]);
  });

  it('waits for a maintenance window and says when it opens', () => {
    const p = policy([{ name: 'night only', when: { time: { from: '22:00', to: '05:00', outside: true } } }]);
    const d = evaluatePolicy(p, facts(), at(2026, 11, 27, 12, 0));
    expect(d).toMatchObject({ action: 'wait', retryAt: at(2026, 11, 27, 22, 0), waitFor: [] });
    expect(d.reason).toContain('the time is outside the window 22:00-05:00 UTC');
    expect(d.reason).toContain('Ask again at 2026-11-27 22:00 UTC.');
    expect(evaluatePolicy(p, facts(), at(2026, 11, 27, 23, 0)).action).toBe('update');
    expect(evaluatePolicy(p, facts(), at(2026, 11, 28, 4, 59)).action).toBe('update'); // after midnight, still open
    expect(evaluatePolicy(p, facts(), at(2026, 11, 28, 5, 0)).action).toBe('wait');
  });

  it('honours weekdays and UTC offsets in windows', () => {
    // Saturdays 02:00-04:00 at UTC+02:00, i.e. Saturdays 00:00-02:00 UTC.
    const p = policy([
      {
        name: 'sat',
        when: { time: { from: '02:00', to: '04:00', days: ['sat'], utcOffsetMinutes: 120, outside: true } },
      },
    ]);
    expect(evaluatePolicy(p, facts(), NOW)).toMatchObject({
      action: 'wait',
      retryAt: at(2026, 11, 28, 0, 0),
    });
    expect(evaluatePolicy(p, facts(), at(2026, 11, 28, 1, 0)).action).toBe('update');
    expect(evaluatePolicy(p, facts(), at(2026, 12, 5, 1, 59))).toMatchObject({ action: 'update' });
    expect(evaluatePolicy(p, facts(), at(2026, 12, 5, 2, 0))).toMatchObject({
      action: 'wait',
      retryAt: at(2026, 12, 12, 0, 0),
    });
  });

  it('rolls out to a canary percentage by cohort', () => {
    const p = policy([{ name: 'canary 10%', when: { canary: { percent: 10 } }, action: 'update' }], {
      otherwise: 'wait',
    });
    expect(evaluatePolicy(p, facts({ cohort: 9 }), NOW).action).toBe('update');
    const d = evaluatePolicy(p, facts({ cohort: 10 }), NOW);
    expect(d).toMatchObject({ action: 'wait', rule: null, waitFor: [] });
    expect(d.reason).toContain('Nothing the device reports can change this; only a new policy can.');
  });

  it('respects update locks, named or any', () => {
    const p = policy([
      { name: 'camera lock', when: { locks: ['camera'] } },
      { name: 'any lock', when: { locks: true }, action: 'refuse' },
    ]);
    expect(evaluatePolicy(p, facts({ locks: ['camera', 'gimbal'] }), NOW)).toMatchObject({
      rule: 'camera lock',
      waitFor: ['locks'],
    });
    expect(evaluatePolicy(p, facts({ locks: ['camera'] }), NOW).reason).toContain(
      'update locks are held (camera)',
    );
    expect(evaluatePolicy(p, facts({ locks: ['gimbal'] }), NOW)).toMatchObject({
      action: 'refuse',
      rule: 'any lock',
    });
    expect(evaluatePolicy(p, facts(), NOW).action).toBe('update');
  });

  it('compares versions numerically and refuses downgrades when told to', () => {
    const p = policy([
      { name: 'no downgrade', when: { downgrade: true }, action: 'refuse' },
      {
        name: 'old fleet first',
        when: { currentVersion: { below: '1.10' } },
        action: 'update',
        strategy: 'kill-then-download',
      },
      { name: 'pinned', when: { targetVersion: { in: ['2.0.0-rc1'] } }, action: 'refuse' },
    ]);
    expect(evaluatePolicy(p, facts({ currentVersion: '1.10.0', targetVersion: '1.9.3' }), NOW).action).toBe(
      'refuse',
    );
    expect(evaluatePolicy(p, facts({ currentVersion: '1.9.9', targetVersion: '1.10.0' }), NOW)).toMatchObject(
      {
        action: 'update',
        strategy: 'kill-then-download',
      },
    );
    expect(evaluatePolicy(p, facts({ currentVersion: '1.10.0', targetVersion: '2.0.0-rc1' }), NOW).rule).toBe(
      'pinned',
    );
  });

  it('rejects bad facts with the field named', () => {
    const p = policy([]);
    const bad = (over: object) => {
      try {
        evaluatePolicy(p, { ...facts(), ...over } as never, NOW);
      } catch (e) {
        if (isPolicyError(e)) return `${e.code} ${e.message}`;
      }
      return 'accepted';
    };
    expect(bad({ batteryPercent: Number.NaN })).toBe(
      'POLICY_FACTS_INVALID facts.batteryPercent: must be a number 0..100',
    );
    expect(bad({ flightState: 'hover' })).toContain('facts.flightState: must be one of');
    expect(bad({ cohort: 3.5 })).toBe('POLICY_FACTS_INVALID facts.cohort: must be an integer 0..99');
    expect(bad({ locks: [1] })).toContain('facts.locks[0]: must be a non-empty string');
    expect(() => evaluatePolicy(p, facts(), Number.NaN)).toThrow('now: must be a number');
  });

  it('is deterministic: the same inputs give equal decisions', () => {
    const f = facts({ phase: 'switch', flightState: 'flying', batteryPercent: 60 });
    expect(evaluatePolicy(DEFAULT_POLICY, f, NOW)).toEqual(evaluatePolicy(DEFAULT_POLICY, f, NOW));
  });
});

describe('DEFAULT_POLICY', () => {
  const decide = (over: Parameters<typeof facts>[0]) => evaluatePolicy(DEFAULT_POLICY, facts(over), NOW);

  it('updates a landed, charged device with download-then-kill', () => {
    expect(decide({})).toMatchObject({ action: 'update', strategy: 'download-then-kill', rule: null });
    expect(decide({ phase: 'switch' })).toMatchObject({ action: 'update', strategy: 'download-then-kill' });
  });

  it('downloads in flight but switches a flying drone only by hand-over', () => {
    expect(decide({ flightState: 'flying' })).toMatchObject({
      action: 'update',
      strategy: 'download-then-kill',
    });
    expect(decide({ phase: 'switch', flightState: 'flying' })).toMatchObject({
      action: 'update',
      strategy: 'hand-over',
      rule: 'in flight only by hand-over',
    });
  });

  it('never switches an armed drone', () => {
    expect(decide({ phase: 'switch', flightState: 'armed' })).toMatchObject({
      action: 'wait',
      rule: 'never switch while armed',
    });
    expect(decide({ phase: 'switch', flightState: 'armed' }).waitFor).toContain('flightState');
  });

  it('keeps the battery reserve unless charging, waits out locks and poor links, refuses downgrades', () => {
    expect(decide({ batteryPercent: 25 })).toMatchObject({ action: 'wait', rule: 'battery reserve' });
    expect(decide({ batteryPercent: 25, charging: true }).action).toBe('update');
    expect(decide({ locks: ['payload'] })).toMatchObject({ action: 'wait', rule: 'respect update locks' });
    expect(decide({ linkQuality: 15 })).toMatchObject({ action: 'wait', rule: 'no download on a poor link' });
    expect(decide({ linkQuality: 15, phase: 'switch' }).action).toBe('update');
    expect(decide({ currentVersion: '2.0.0', targetVersion: '1.9.0' })).toMatchObject({
      action: 'refuse',
      rule: 'no downgrades',
    });
  });
});
