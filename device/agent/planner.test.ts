import { describe, expect, it } from 'vitest';
import { resolveSettings } from './labels.js';
import { leaseHolders, onStepFailure, plan } from './planner.js';
import type { Facts, Journal, Phase, Strategy } from './types.js';

const v1 = { version: '1', image: 'drone:1' };
const v2 = { version: '2', image: 'drone:2' };
const BOOT = 'boot-a';

function journal(phase?: Phase, strategy: Strategy = 'download-then-kill', extra: object = {}): Journal {
  const j: Journal = { format: 1, app: 'drone', current: v1 };
  if (phase)
    j.update = {
      request: { release: v2, source: { kind: 'engine' } },
      settings: { strategy, handoverTimeoutMs: 60_000, healthWindowMs: 5000, lockTimeoutMs: 1000 },
      phase,
      bootId: BOOT,
      attempts: 0,
      required: ['flight'],
      startedAt: 0,
      ...extra,
    };
  return j;
}

function facts(running: string[], images = ['drone:1', 'drone:2'], stopped: string[] = []): Facts {
  return {
    containers: [
      ...running.map((version) => ({ version, running: true })),
      ...stopped.map((version) => ({ version, running: false })),
    ],
    images,
    bootId: BOOT,
    now: 0,
  };
}

const actions = (steps: ReturnType<typeof plan>) =>
  steps.map((s) =>
    s.action === 'phase'
      ? `phase:${s.phase}`
      : s.action === 'finish'
        ? `finish:${s.outcome.result}`
        : s.action === 'stop' || s.action === 'remove-container'
          ? `${s.action}:${s.version}`
          : s.action === 'start'
            ? `start:${s.release.version}${s.handover ? '+handover' : ''}`
            : s.action,
  );

describe('planner: steady state', () => {
  it('does nothing when the current version runs', () => {
    expect(plan(journal(), facts(['1']))).toEqual([]);
  });
  it('restarts the current version when it is not running, and removes strays', () => {
    expect(actions(plan(journal(), facts(['9'], ['drone:1'], ['1'])))).toEqual([
      'stop:9',
      'remove-container:9',
      'start:1',
    ]);
  });
  it('installs a first version', () => {
    const j: Journal = { ...journal('fetch'), current: undefined };
    expect(actions(plan(j, facts([], [])))).toEqual(['fetch']);
    expect(actions(plan(j, facts([], ['drone:2'])))).toEqual(['start:2', 'finish:installed']);
  });
});

describe('planner: download-then-kill', () => {
  it('downloads while v1 runs, then waits for the lock, then switches', () => {
    expect(actions(plan(journal('fetch'), facts(['1'], ['drone:1'])))).toEqual(['fetch']);
    expect(actions(plan(journal('fetch'), facts(['1'])))).toEqual(['wait-lock', 'phase:switch']);
    expect(actions(plan(journal('switch'), facts(['1'])))).toEqual(['stop:1', 'start:2', 'phase:health']);
  });
  it('checks health, then commits by removing v1', () => {
    expect(actions(plan(journal('health'), facts(['2'], undefined, ['1'])))).toEqual([
      'health',
      'phase:commit',
    ]);
    expect(actions(plan(journal('commit'), facts(['2'], undefined, ['1'])))).toEqual([
      'remove-container:1',
      'finish:updated',
    ]);
  });
  it('rolls back when v2 is not running in its health window', () => {
    const steps = plan(journal('health'), facts([], undefined, ['1', '2']));
    expect(steps).toEqual([
      { action: 'phase', phase: 'rollback', patch: { reason: 'v2 is not running in its health window' } },
    ]);
    expect(
      actions(
        plan(journal('rollback', 'download-then-kill', { reason: 'x' }), facts([], undefined, ['1', '2'])),
      ),
    ).toEqual(['remove-container:2', 'start:1', 'finish:rolled-back']);
  });
});

describe('planner: kill-then-download and delete-then-download', () => {
  it('kill-then-download stops v1 before fetching', () => {
    expect(actions(plan(journal('fetch', 'kill-then-download'), facts(['1'], ['drone:1'])))).toEqual([
      'wait-lock',
      'phase:stop-old',
    ]);
    expect(actions(plan(journal('stop-old', 'kill-then-download'), facts(['1'], ['drone:1'])))).toEqual([
      'stop:1',
      'phase:fetch-new',
    ]);
    expect(actions(plan(journal('fetch-new', 'kill-then-download'), facts([], ['drone:1'], ['1'])))).toEqual([
      'fetch',
    ]);
    expect(actions(plan(journal('fetch-new', 'kill-then-download'), facts([], undefined, ['1'])))).toEqual([
      'phase:switch',
    ]);
  });
  it('delete-then-download also deletes the container and the image of v1', () => {
    const steps = plan(journal('stop-old', 'delete-then-download'), facts(['1'], ['drone:1']));
    expect(actions(steps)).toEqual(['stop:1', 'remove-container:1', 'remove-image', 'phase:fetch-new']);
  });
  it('cannot roll back to a deleted image: keeps v2 and reports the failure', () => {
    const steps = plan(
      journal('rollback', 'delete-then-download', { reason: 'crash' }),
      facts([], ['drone:2'], ['2']),
    );
    expect(actions(steps)).toEqual(['start:2', 'finish:failed']);
  });
});

describe('planner: hand-over', () => {
  it('starts v2 beside v1, hands over, then stops v1', () => {
    expect(actions(plan(journal('fetch', 'hand-over'), facts(['1'])))).toEqual([
      'wait-lock',
      'phase:hand-over',
    ]);
    expect(actions(plan(journal('hand-over', 'hand-over'), facts(['1'])))).toEqual([
      'start:2+handover',
      'hand-over',
      'stop:1',
      'phase:health',
    ]);
  });
  it('redoes a hand-over interrupted by an agent crash, a bounded number of times', () => {
    const crashed = { ...facts(['1', '2']), bootId: 'boot-b' };
    expect(actions(plan(journal('hand-over', 'hand-over'), crashed))).toEqual([
      'stop:2',
      'remove-container:2',
      'phase:fetch',
    ]);
    const again = plan(journal('hand-over', 'hand-over', { attempts: 2 }), crashed);
    expect(actions(again)).toEqual(['stop:2', 'remove-container:2', 'phase:rollback']);
  });
  it('lets only v1 hold leases until the redone hand-over, then both with v2 as target', () => {
    expect(leaseHolders(journal('hand-over', 'hand-over'), 'boot-b')).toEqual({ eligible: ['1'] });
    expect(leaseHolders(journal('hand-over', 'hand-over'), BOOT)).toEqual({
      eligible: ['1', '2'],
      handoverTo: '2',
    });
    expect(leaseHolders(journal('health'), BOOT)).toEqual({ eligible: ['2'] });
    expect(leaseHolders(journal('rollback'), BOOT)).toEqual({ eligible: ['1'] });
    expect(leaseHolders(journal(), BOOT)).toEqual({ eligible: ['1'] });
  });
});

describe('planner: failures', () => {
  it('keeps v1 when a step fails before the switch', () => {
    const steps = onStepFailure(
      journal('fetch'),
      { action: 'wait-lock', version: '1', timeoutMs: 1 },
      'locked',
    );
    expect(steps).toEqual([
      {
        action: 'finish',
        current: v1,
        outcome: { version: '2', result: 'failed', reason: 'wait-lock: locked' },
      },
    ]);
  });
  it('rolls back when a step fails after the switch', () => {
    const steps = onStepFailure(
      journal('health'),
      { action: 'health', version: '2', windowMs: 1, required: [] },
      'exited',
    );
    expect(steps).toEqual([{ action: 'phase', phase: 'rollback', patch: { reason: 'health: exited' } }]);
  });
});

describe('update settings from labels', () => {
  it('reads balena labels as aliases and lets Aloft labels and explicit fields win', () => {
    const req = { release: v2, source: { kind: 'engine' as const } };
    expect(resolveSettings(req, {})).toMatchObject({
      strategy: 'download-then-kill',
      handoverTimeoutMs: 60_000,
    });
    expect(
      resolveSettings(req, {
        'io.balena.update.strategy': 'hand-over',
        'io.balena.update.handover-timeout': '5000',
      }),
    ).toMatchObject({ strategy: 'hand-over', handoverTimeoutMs: 5000 });
    expect(
      resolveSettings(req, {
        'io.balena.update.strategy': 'hand-over',
        'io.aloft.update.strategy': 'kill-then-download',
      }),
    ).toMatchObject({ strategy: 'kill-then-download' });
    expect(
      resolveSettings(
        { ...req, strategy: 'delete-then-download' },
        { 'io.aloft.update.strategy': 'hand-over' },
      ).strategy,
    ).toBe('delete-then-download');
    expect(() => resolveSettings(req, { 'io.balena.update.strategy': 'yolo' })).toThrow(
      /unknown update strategy/,
    );
    expect(() => resolveSettings(req, { 'io.aloft.update.handover-timeout': 'soon' })).toThrow(
      /milliseconds/,
    );
  });
});
