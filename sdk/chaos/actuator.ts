import type Docker from 'dockerode';
import { actOnContainer, undoContainerAction } from './container-faults.js';
import { describeFault, isNetworkFault } from './faults.js';
import type { NetworkInjector } from './network.js';
import { planNetwork } from './network-plan.js';
import type { KernelCapabilities } from './probe.js';
import type { Rng } from './random.js';
import type { Actuator, AppliedFault } from './scheduler.js';
import type { StateFile, StateStore } from './state.js';
import type { Fault, NetworkPath, Policy, Target } from './types.js';

/**
 * The Actuator the engine gives the scheduler: Docker for container faults, NetworkInjector
 * for network faults. Per target it keeps the union of every policy's network faults and
 * re-plans them as one, so two policies (or two faults) on one target combine.
 */
export class DockerActuator implements Actuator {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly docker: Docker,
    private readonly network: NetworkInjector,
    private readonly caps: KernelCapabilities,
    private readonly store: StateStore,
    private readonly state: StateFile,
    private readonly rng: Rng,
  ) {}

  inject(policy: Policy, target: Target, faults: Fault[]): Promise<AppliedFault[]> {
    return this.locked(target.id, async () => {
      if (!this.state.targets[target.id]) this.state.targets[target.id] = { name: target.name, policies: {} };
      const rec = this.state.targets[target.id];
      const previous = rec.policies[policy.name];
      const hadNetwork = Object.values(rec.policies).some((p) => p.faults.some(isNetworkFault));
      const combined = this.networkFaults(target.id, policy.name, faults);
      // Plan first: a fault this kernel cannot do fails before anything is touched.
      const plan = planNetwork(combined, this.caps, policy.path);
      const containerFault = faults.find((f) => !isNetworkFault(f));
      rec.policies[policy.name] = { faults, ...(containerFault ? { action: intent(containerFault) } : {}) };
      await this.store.save(this.state);
      const applied: AppliedFault[] = [];
      try {
        if (faults.some(isNetworkFault)) {
          const pid = await this.pid(target.id);
          // Only a target that already carries network faults (or did before a crash) needs
          // clearing first; a fresh one saves the round of nsenter calls.
          if (hadNetwork) await this.network.clear(pid, target.id);
          await this.network.apply(pid, target.id, plan, Math.floor(this.rng.next() * 2 ** 31));
          for (const f of faults.filter(isNetworkFault))
            applied.push({
              fault: describeFault(f),
              parameters: { ...f, path: plan.paths[f.kind as keyof typeof plan.paths] },
            });
        }
        if (containerFault) {
          const action = await actOnContainer(this.docker, target.id, containerFault);
          applied.push({ fault: describeFault(containerFault), parameters: { ...containerFault, action } });
        }
        return applied;
      } catch (e) {
        if (previous) rec.policies[policy.name] = previous;
        else delete rec.policies[policy.name];
        await this.reapply(target.id, policy.path).catch(() => undefined);
        if (containerFault)
          await undoContainerAction(this.docker, target.id, intent(containerFault)).catch(() => undefined);
        await this.forgetIfEmpty(target.id);
        throw e;
      }
    });
  }

  restore(policy: Policy, target: Target): Promise<AppliedFault[]> {
    return this.locked(target.id, async () => {
      const rec = this.state.targets[target.id];
      const mine = rec?.policies[policy.name];
      if (!rec || !mine) return [];
      const undone: AppliedFault[] = [];
      if (mine.action) {
        const result = await undoContainerAction(this.docker, target.id, mine.action);
        undone.push({
          fault: describeFault(mine.faults.find((f) => !isNetworkFault(f)) as Fault),
          parameters: { result },
        });
      }
      delete rec.policies[policy.name];
      if (mine.faults.some(isNetworkFault)) {
        const cleanup = await this.reapply(target.id, policy.path);
        for (const f of mine.faults.filter(isNetworkFault))
          undone.push({ fault: describeFault(f), parameters: { ...cleanup } });
      }
      await this.forgetIfEmpty(target.id);
      return undone;
    });
  }

  // Network faults of every policy on the target, the newest policy's fault winning per kind.
  private networkFaults(targetId: string, policyName: string, faults: Fault[]): Fault[] {
    const byKind = new Map<string, Fault>();
    const rec = this.state.targets[targetId];
    for (const [name, p] of Object.entries(rec?.policies ?? {}))
      if (name !== policyName) for (const f of p.faults.filter(isNetworkFault)) byKind.set(f.kind, f);
    for (const f of faults.filter(isNetworkFault)) byKind.set(f.kind, f);
    return [...byKind.values()];
  }

  /** Clears the target's namespace and applies what the remaining policies still want. */
  private async reapply(targetId: string, path: NetworkPath): Promise<Record<string, unknown>> {
    const pid = await this.pid(targetId).catch(() => 0);
    const cleanup = await this.network.clear(pid, targetId);
    const rest = this.networkFaults(targetId, '', []);
    if (rest.length && pid > 0)
      await this.network.apply(
        pid,
        targetId,
        planNetwork(rest, this.caps, path),
        Math.floor(this.rng.next() * 2 ** 31),
      );
    return { ...cleanup, remaining: rest.map(describeFault) };
  }

  private async forgetIfEmpty(targetId: string): Promise<void> {
    const rec = this.state.targets[targetId];
    if (rec && Object.keys(rec.policies).length === 0) delete this.state.targets[targetId];
    await this.store.save(this.state);
  }

  private async pid(id: string): Promise<number> {
    try {
      return (await this.docker.getContainer(id).inspect()).State.Pid ?? 0;
    } catch {
      return 0;
    }
  }

  private locked<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(job, job);
    this.locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }
}

function intent(f: Fault): 'paused' | 'stopped' | 'killed' | 'restarted' {
  return f.kind === 'pause'
    ? 'paused'
    : f.kind === 'stop'
      ? 'stopped'
      : f.kind === 'kill'
        ? 'killed'
        : 'restarted';
}
