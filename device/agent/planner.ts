import type { Step } from './steps.js';
import type { Facts, Journal, Release, UpdateRecord } from './types.js';

/** A hand-over interrupted by an agent crash is redone from the start at most this often. */
export const MAX_ATTEMPTS = 3;

/**
 * The next steps from (journal, facts): synchronous, no I/O. The agent runs them, gathers facts
 * again and asks again, until the plan is empty. Phase changes come last in a batch, so the
 * journal only moves on after the work of a phase is done.
 */
export function plan(journal: Journal, facts: Facts): Step[] {
  const running = (v: string) => facts.containers.some((c) => c.version === v && c.running);
  const exists = (v: string) => facts.containers.some((c) => c.version === v);
  const present = (r: Release) => facts.images.includes(r.image);
  const cur = journal.current;
  const u = journal.update;
  const target = u?.request.release;

  // Anything that is neither the current nor the target version goes (left by a crash).
  const keep = new Set([cur?.version, target?.version].filter((v): v is string => !!v));
  const strays: Step[] = facts.containers
    .filter((c) => !keep.has(c.version))
    .flatMap((c) => [
      ...(c.running ? [{ action: 'stop' as const, version: c.version }] : []),
      { action: 'remove-container' as const, version: c.version },
    ]);

  if (!u || !target) {
    if (!cur) return strays;
    // Steady state: the current version runs (the agent restarts it if it crashed).
    return running(cur.version) ? strays : [...strays, { action: 'start', release: cur, handover: false }];
  }
  if (strays.length) return strays;

  const s = u.settings;
  if (!cur) return planInstall(u, target, present(target), running(target.version));
  const old = cur;
  const stopOld: Step[] = running(old.version)
    ? [{ action: 'stop', version: old.version, record: true }]
    : [];

  switch (u.phase) {
    case 'fetch':
      if (s.strategy === 'kill-then-download' || s.strategy === 'delete-then-download')
        return [{ action: 'wait-lock', version: old.version, timeoutMs: s.lockTimeoutMs }, phase('stop-old')];
      if (!present(target)) return [{ action: 'fetch', release: target, source: u.request.source }];
      return [
        { action: 'wait-lock', version: old.version, timeoutMs: s.lockTimeoutMs },
        phase(s.strategy === 'hand-over' ? 'hand-over' : 'switch'),
      ];
    case 'stop-old': {
      const steps: Step[] = [...stopOld];
      if (s.strategy === 'delete-then-download') {
        if (exists(old.version)) steps.push({ action: 'remove-container', version: old.version });
        if (present(old) && old.image !== target.image)
          steps.push({ action: 'remove-image', image: old.image });
      }
      return [...steps, phase('fetch-new')];
    }
    case 'fetch-new':
      if (!present(target)) return [{ action: 'fetch', release: target, source: u.request.source }];
      return [phase('switch')];
    case 'switch':
      return [...stopOld, { action: 'start', release: target, handover: false }, phase('health')];
    case 'hand-over': {
      if (u.bootId !== facts.bootId) {
        // The agent died mid hand-over: the leases' in-flight state died with it. v1 still flies
        // (or is restarted); throw v2 away and hand over again.
        const clean: Step[] = [
          ...(running(target.version) ? [{ action: 'stop' as const, version: target.version }] : []),
          ...(exists(target.version)
            ? [{ action: 'remove-container' as const, version: target.version }]
            : []),
        ];
        if (u.attempts + 1 >= MAX_ATTEMPTS)
          return [...clean, phase('rollback', { reason: `hand-over interrupted ${u.attempts + 1} times` })];
        return [...clean, phase('fetch', { attempts: u.attempts + 1 })];
      }
      if (!running(old.version))
        return [{ action: 'start', release: target, handover: false }, phase('health')];
      return [
        { action: 'start', release: target, handover: true },
        { action: 'hand-over', from: old.version, to: target.version, timeoutMs: s.handoverTimeoutMs },
        { action: 'stop', version: old.version },
        phase('health'),
      ];
    }
    case 'health':
      if (!running(target.version))
        return [phase('rollback', { reason: `v${target.version} is not running in its health window` })];
      return [
        ...stopOld,
        { action: 'health', version: target.version, windowMs: s.healthWindowMs, required: u.required },
        phase('commit'),
      ];
    case 'commit':
      return [
        ...stopOld,
        ...(exists(old.version) ? [{ action: 'remove-container' as const, version: old.version }] : []),
        { action: 'finish', current: target, outcome: { version: target.version, result: 'updated' } },
      ];
    case 'rollback': {
      const reason = u.reason ?? 'rolled back';
      const dropNew: Step[] = [
        ...(running(target.version) ? [{ action: 'stop' as const, version: target.version }] : []),
        ...(exists(target.version) ? [{ action: 'remove-container' as const, version: target.version }] : []),
      ];
      if (!present(old)) {
        // delete-then-download removed v1's image: there is nothing to go back to. Keep v2.
        return [
          ...(running(target.version)
            ? []
            : [{ action: 'start' as const, release: target, handover: false }]),
          {
            action: 'finish',
            current: target,
            outcome: {
              version: target.version,
              result: 'failed',
              reason: `${reason}; v${old.version}'s image was deleted (delete-then-download), so v${target.version} stays`,
            },
          },
        ];
      }
      return [
        ...dropNew,
        ...(running(old.version) ? [] : [{ action: 'start' as const, release: old, handover: false }]),
        {
          action: 'finish',
          current: old,
          outcome: { version: target.version, result: 'rolled-back', reason },
        },
      ];
    }
  }
}

function planInstall(u: UpdateRecord, target: Release, present: boolean, running: boolean): Step[] {
  if (!present) return [{ action: 'fetch', release: target, source: u.request.source }];
  return [
    ...(running ? [] : [{ action: 'start' as const, release: target, handover: false }]),
    { action: 'finish', current: target, outcome: { version: target.version, result: 'installed' } },
  ];
}

function phase(p: UpdateRecord['phase'], patch?: Partial<UpdateRecord>): Step {
  return patch ? { action: 'phase', phase: p, patch } : { action: 'phase', phase: p };
}

/**
 * What to do when a step fails: before v1 is touched, give up and keep v1; after, roll back.
 * Pure, like the planner: the agent runs the returned journal steps.
 */
export function onStepFailure(journal: Journal, step: Step, message: string): Step[] {
  const u = journal.update;
  if (!u) return [];
  const target = u.request.release;
  // In 'fetch' v1 still runs untouched (wait-lock also happens there): keep it, report the failure.
  if (u.phase === 'fetch' || !journal.current)
    return [
      {
        action: 'finish',
        current: journal.current,
        outcome: { version: target.version, result: 'failed', reason: `${step.action}: ${message}` },
      },
    ];
  if (u.phase === 'rollback') return [];
  return [{ action: 'phase', phase: 'rollback', patch: { reason: `${step.action}: ${message}` } }];
}

/** Which versions may hold leases in this journal state, and whether one takes over by hand-over. */
export function leaseHolders(journal: Journal, bootId: string): { eligible: string[]; handoverTo?: string } {
  const cur = journal.current?.version;
  const u = journal.update;
  const next = u?.request.release.version;
  if (!u || !next) return { eligible: cur ? [cur] : [] };
  const both = [cur, next].filter((v): v is string => !!v);
  switch (u.phase) {
    case 'fetch':
    case 'stop-old':
    case 'fetch-new':
      return { eligible: cur ? [cur] : [next] };
    case 'switch':
      // Both: v2's requests wait in the queue and take each lease the instant v1 lets go.
      return { eligible: both };
    case 'hand-over':
      // A hand-over begun by a previous agent run is redone: until then, v1 alone flies.
      if (u.bootId !== bootId) return { eligible: cur ? [cur] : [next] };
      return { eligible: both, handoverTo: next };
    case 'health':
    case 'commit':
      return { eligible: [next] };
    case 'rollback':
      return { eligible: cur ? [cur] : [next] };
  }
}
