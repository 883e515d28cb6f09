import type Docker from 'dockerode';
import { undoContainerAction } from './container-faults.js';
import { INJECTOR_IMAGE, type NetworkInjector, TARGET_LABEL } from './network.js';
import type { StateFile } from './state.js';
import { CHAOS_ROLE_LABEL } from './targeting.js';
import type { AuditEvent } from './types.js';

type Audit = (e: Omit<AuditEvent, 'time'>) => void;

/**
 * At start, before any policy runs: restore whatever a previous engine left (it may have died
 * by SIGKILL). Three sources, so that losing one still finds everything:
 *   1. the state file: every target with its policies' faults and container actions;
 *   2. helper containers, found by label, and the targets they name;
 *   3. a sweep of running containers for our marks (chain ALOFT-CHAOS-*, qdisc a10f:).
 * Only marked things are removed; a qdisc or rule we did not create is never touched.
 */
export async function reconcile(
  docker: Docker,
  network: NetworkInjector,
  state: StateFile,
  audit: Audit,
): Promise<number> {
  const known = new Set<string>(Object.keys(state.targets));
  const helpers = await docker.listContainers({
    all: true,
    filters: { label: [`${CHAOS_ROLE_LABEL}=injector`] },
  });
  for (const h of helpers) if (h.Labels[TARGET_LABEL]) known.add(h.Labels[TARGET_LABEL]);
  // What the state file and the helpers name comes first: that is where a SIGKILLed engine
  // left its faults, and the sweep below may take a while on a host with many containers.
  let restored = 0;
  for (const id of known) restored += await restoreTarget(docker, network, state, id, audit);
  for (const h of helpers)
    await docker
      .getContainer(h.Id)
      .remove({ force: true })
      .catch(() => undefined);
  const running = await docker.listContainers({ filters: { status: ['running', 'paused'] } });
  for (const c of running.slice(0, 500)) {
    if (known.has(c.Id) || c.Labels[CHAOS_ROLE_LABEL] || c.Image === INJECTOR_IMAGE) continue;
    const pid = await pidOf(docker, c.Id);
    if (pid > 0 && (await network.hasMarks(pid).catch(() => false)))
      restored += await restoreTarget(docker, network, state, c.Id, audit);
  }
  return restored;
}

async function restoreTarget(
  docker: Docker,
  network: NetworkInjector,
  state: StateFile,
  id: string,
  audit: Audit,
): Promise<number> {
  const name = state.targets[id]?.name ?? id.slice(0, 12);
  try {
    const pid = await pidOf(docker, id);
    const cleanup = await network.clear(pid, id);
    const actions: string[] = [];
    for (const p of Object.values(state.targets[id]?.policies ?? {}))
      if (p.action) actions.push(`${p.action}: ${await undoContainerAction(docker, id, p.action)}`);
    audit({
      action: 'reconcile',
      target: { id: id.slice(0, 12), name },
      parameters: { ...cleanup, actions },
      result: 'ok',
    });
    return 1;
  } catch (e) {
    audit({
      action: 'reconcile',
      target: { id: id.slice(0, 12), name },
      result: 'failed',
      detail: (e as Error).message,
    });
    return 0;
  } finally {
    delete state.targets[id];
  }
}

async function pidOf(docker: Docker, id: string): Promise<number> {
  try {
    const s = (await docker.getContainer(id).inspect()).State;
    return s.Running ? (s.Pid ?? 0) : 0;
  } catch {
    return 0;
  }
}
