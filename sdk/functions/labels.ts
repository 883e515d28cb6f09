import { dockerClient, LABEL_PREFIX } from '../docker/index.js';

/** Every container, service and config the functions area makes carries this label; its value is the scope. */
export const FUNCTION_LABEL = `${LABEL_PREFIX}functions`;
/** The pid of the process that made it: a sweep can tell a crashed owner from a live one. */
export const OWNER_PID_LABEL = `${LABEL_PREFIX}functions.pid`;

export function functionLabels(scope: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...extra, [FUNCTION_LABEL]: scope, [OWNER_PID_LABEL]: String(process.pid) };
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepOptions {
  /** Remove everything of this scope (a gateway's name) whoever made it. */
  scope?: string;
  /** Without a scope: remove only what a process that no longer runs left behind. */
  orphansOnly?: boolean;
}

/**
 * Removes function containers (and Swarm services and configs) left behind, for instance by a
 * gateway that crashed. A gateway sweeps its own scope at start; `aloft fn sweep` sweeps orphans.
 * Resolves to the number of objects removed.
 */
export async function sweepFunctions(options: SweepOptions = {}): Promise<number> {
  const docker = dockerClient();
  const label = options.scope ? `${FUNCTION_LABEL}=${options.scope}` : FUNCTION_LABEL;
  const keep = (labels: Record<string, string> | undefined): boolean =>
    !options.scope && options.orphansOnly !== false && pidAlive(Number(labels?.[OWNER_PID_LABEL]));
  let removed = 0;
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    containers
      .filter((c) => !keep(c.Labels))
      .map(async (c) => {
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .then(() => removed++)
          .catch(() => undefined);
      }),
  );
  const swarm = await docker.info().then((i) => i.Swarm?.ControlAvailable === true);
  if (swarm) {
    const services = await docker.listServices({ filters: { label: [label] } });
    for (const s of services) {
      if (keep(s.Spec?.Labels)) continue;
      await docker
        .getService(s.ID)
        .remove()
        .then(() => removed++)
        .catch(() => undefined);
    }
    const configs = await docker.listConfigs({ filters: { label: [label] } });
    for (const c of configs) {
      if (keep(c.Spec?.Labels)) continue;
      await docker
        .getConfig(c.ID)
        .remove({})
        .then(() => removed++)
        .catch(() => undefined);
    }
  }
  return removed;
}
