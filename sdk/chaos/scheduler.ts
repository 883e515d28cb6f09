import { describeFault } from './faults.js';
import type { Clock, Rng, TimerHandle } from './random.js';
import { matchesPolicy, selectTargets } from './targeting.js';
import type { AuditEvent, Fault, Policy, Selection, Target } from './types.js';

/** Where the scheduler finds containers (Docker in the engine, an array in tests). */
export interface TargetSource {
  list(): Promise<Target[]>;
}

/** What one applied fault reports for the audit line (path used, parameters drawn, ...). */
export interface AppliedFault {
  fault: string;
  parameters: Record<string, unknown>;
}

/** Does and undoes the faults; the scheduler decides when. */
export interface Actuator {
  inject(policy: Policy, target: Target, faults: Fault[]): Promise<AppliedFault[]>;
  restore(policy: Policy, target: Target): Promise<AppliedFault[]>;
}

interface Active {
  target: Target;
  restoreTimer?: TimerHandle;
  dry: boolean;
}

interface Running {
  policy: Policy;
  startedAt: number;
  tickTimer?: TimerHandle;
  endTimer?: TimerHandle;
  active: Map<string, Active>;
  /** Containers this policy has already considered: only new ones roll on a start event. */
  seen: Set<string>;
  busy: Promise<void>;
  ended: boolean;
}

export interface SchedulerOptions {
  clock: Clock;
  rng: Rng;
  source: TargetSource;
  actuator: Actuator;
  audit: (event: Omit<AuditEvent, 'time'>) => void;
  /** The engine's own container id, when it runs in one: never a target. */
  selfId?: string;
}

/**
 * Entropy's loop, made testable: every `frequency` seconds (varied by `jitter`) each selected
 * target rolls; with `probability` it gets the policy's faults, otherwise they are cleared.
 * An injection ends after `duration`, and the whole policy after `runFor`. All time and
 * randomness come through the Clock and Rng ports, so unit tests replay it exactly.
 */
export class Scheduler {
  private readonly running = new Map<string, Running>();
  constructor(private readonly o: SchedulerOptions) {}

  has(name: string): boolean {
    return this.running.has(name);
  }

  policies(): Policy[] {
    return [...this.running.values()].map((r) => r.policy);
  }

  /** Active injections, for GET /injector/. */
  injections(): { policy: string; target: Target; dryRun: boolean }[] {
    return [...this.running.values()].flatMap((r) =>
      [...r.active.values()].map((a) => ({ policy: r.policy.name, target: a.target, dryRun: a.dry })),
    );
  }

  /** Starts a policy: its first roll happens now. */
  add(policy: Policy): void {
    const r: Running = {
      policy,
      startedAt: this.o.clock.now(),
      active: new Map(),
      seen: new Set(),
      busy: Promise.resolve(),
      ended: false,
    };
    this.running.set(policy.name, r);
    if (policy.runFor > 0)
      r.endTimer = this.o.clock.setTimer(
        policy.runFor * 1000,
        () => void this.remove(policy.name, 'run time over'),
      );
    this.enqueue(r, () => this.tick(r));
  }

  /** Ends a policy and restores everything it injected. */
  async remove(name: string, why = 'policy deleted'): Promise<boolean> {
    const r = this.running.get(name);
    if (!r) return false;
    r.ended = true;
    r.tickTimer?.cancel();
    r.endTimer?.cancel();
    this.running.delete(name);
    await r.busy;
    for (const a of [...r.active.values()]) await this.clear(r, a, why);
    return true;
  }

  /** Restores every injection of every policy (SIGTERM, engine stop). */
  async stop(): Promise<void> {
    for (const name of [...this.running.keys()]) await this.remove(name, 'engine stopping');
  }

  /** A container started after the policy (Docker events): it rolls at once when it matches. */
  targetStarted(target: Target): void {
    for (const r of this.running.values()) {
      // A container we restarted ourselves (undoing a kill) is not new: it waits for the next roll.
      if (r.policy.selection.mode !== 'all' || r.seen.has(target.id)) continue;
      r.seen.add(target.id);
      if (!matchesPolicy(target, r.policy, this.o.selfId)) continue;
      this.enqueue(r, () => this.roll(r, target));
    }
  }

  /** A container went away: forget its injections (their helpers are cleaned by the actuator). */
  targetGone(id: string): void {
    for (const r of this.running.values()) {
      const a = r.active.get(id);
      if (a) this.enqueue(r, () => this.clear(r, a, 'target gone'));
    }
  }

  /** Resolves when every queued roll and restore has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.busy));
  }

  // One policy's work runs strictly in order, so a slow injection never overlaps its own clear.
  private enqueue(r: Running, job: () => Promise<void>): void {
    r.busy = r.busy.then(job).catch((e) =>
      this.o.audit({
        action: 'error',
        policy: r.policy.name,
        result: 'failed',
        detail: (e as Error).message,
      }),
    );
  }

  private async tick(r: Running): Promise<void> {
    if (r.ended) return;
    const all = await this.o.source.list();
    const known = new Set(all.map((t) => t.id));
    // Targets already injected roll again (keep or clear), even when a stop or kill left them
    // not running; the rest of the selection is drawn from the other matching containers.
    for (const a of [...r.active.values()]) {
      if (!known.has(a.target.id)) await this.clear(r, a, 'target gone');
      else await this.roll(r, a.target);
    }
    const candidates = all.filter((t) => !r.active.has(t.id) && matchesPolicy(t, r.policy, this.o.selfId));
    for (const t of all) r.seen.add(t.id);
    const wanted = remaining(r.policy.selection, r.active.size, candidates.length);
    const selected = selectTargets(candidates, wanted, this.o.rng);
    if (selected.length === 0 && r.active.size === 0)
      this.o.audit({
        action: 'no-target',
        policy: r.policy.name,
        result: 'info',
        detail: 'no running container matched the policy',
      });
    for (const t of selected) await this.roll(r, t);
    if (!r.ended) {
      const spread = r.policy.jitter * (2 * this.o.rng.next() - 1);
      const period = r.policy.frequency * 1000 * (1 + spread);
      r.tickTimer = this.o.clock.setTimer(period, () => this.enqueue(r, () => this.tick(r)));
    }
  }

  private async roll(r: Running, target: Target): Promise<void> {
    if (r.ended) return;
    const hit = this.o.rng.next() < r.policy.probability;
    const current = r.active.get(target.id);
    if (!hit) {
      if (current) await this.clear(r, current, 'roll cleared');
      return;
    }
    if (current) return; // already injected: Entropy's roll keeps it in place
    const faults = resolveFaults(r.policy.failures, this.o.rng);
    const entry: Active = { target, dry: r.policy.dryRun };
    if (r.policy.dryRun) {
      for (const f of faults)
        this.o.audit({
          action: 'inject',
          policy: r.policy.name,
          target: ref(target),
          fault: describeFault(f),
          parameters: { ...f },
          result: 'dry-run',
        });
    } else {
      try {
        const applied = await this.o.actuator.inject(r.policy, target, faults);
        for (const a of applied)
          this.o.audit({
            action: 'inject',
            policy: r.policy.name,
            target: ref(target),
            fault: a.fault,
            parameters: a.parameters,
            result: 'ok',
          });
      } catch (e) {
        this.o.audit({
          action: 'inject',
          policy: r.policy.name,
          target: ref(target),
          fault: faults.map(describeFault).join(','),
          result: 'failed',
          detail: (e as Error).message,
        });
        // The actuator restores what it half-did before throwing; nothing is left active.
        return;
      }
    }
    r.active.set(target.id, entry);
    if (r.policy.duration > 0)
      entry.restoreTimer = this.o.clock.setTimer(r.policy.duration * 1000, () =>
        this.enqueue(r, async () => {
          if (r.active.get(target.id) === entry) await this.clear(r, entry, 'duration over');
        }),
      );
  }

  private async clear(r: Running, a: Active, why: string): Promise<void> {
    a.restoreTimer?.cancel();
    r.active.delete(a.target.id);
    if (a.dry) {
      this.o.audit({
        action: 'restore',
        policy: r.policy.name,
        target: ref(a.target),
        result: 'dry-run',
        detail: why,
      });
      return;
    }
    try {
      const undone = await this.o.actuator.restore(r.policy, a.target);
      for (const u of undone)
        this.o.audit({
          action: 'restore',
          policy: r.policy.name,
          target: ref(a.target),
          fault: u.fault,
          parameters: u.parameters,
          result: 'ok',
          detail: why,
        });
    } catch (e) {
      this.o.audit({
        action: 'restore',
        policy: r.policy.name,
        target: ref(a.target),
        result: 'failed',
        detail: `${why}: ${(e as Error).message}`,
      });
    }
  }
}

/** How many new targets a roll may add, given how many are already injected. */
export function remaining(selection: Selection, active: number, candidates: number): Selection {
  if (selection.mode === 'all') return selection;
  const total =
    selection.mode === 'count'
      ? selection.count
      : Math.ceil(((active + candidates) * selection.percent) / 100);
  return { mode: 'count', count: Math.max(0, total - active) };
}

const ref = (t: Target) => ({ id: t.id.slice(0, 12), name: t.name.replace(/^\//, '') });

/** Draws the random parts of a policy's faults (a latency range) for one injection. */
export function resolveFaults(faults: readonly Fault[], rng: Rng): Fault[] {
  return faults.map((f) => {
    if (f.kind !== 'latency' || f.maxDelayMs === undefined) return { ...f };
    const delayMs = Math.round(f.delayMs + rng.next() * (f.maxDelayMs - f.delayMs));
    return { kind: 'latency', delayMs, ...(f.jitterMs !== undefined ? { jitterMs: f.jitterMs } : {}) };
  });
}
