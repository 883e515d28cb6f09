import { BASE_IMAGES, dockerClient } from '../../docker/index.js';

// Swarm mode belongs to the whole engine: when each Swarm test made a swarm if there was none and
// force-left it afterwards, one run's leave tore down the swarm another run's test was using. So
// runs share the swarm, and the last one out leaves it, only if a test made it. What they share
// lives in the engine itself, not in a file: a CI job in a container may share the engine's
// socket but not /var/tmp. Three things:
// - a lock: a container named LOCK_NAME, created and never started (creating a taken name fails
//   with 409 on the engine, atomically); held only around the check-and-init and the leave;
// - one user entry per run: a created container labelled USER_LABEL=<run>, while it uses the swarm;
// - the swarm's own label MADE_LABEL, set at init: a swarm somebody made by hand is never left.
// A run that dies keeps its user entry, so the swarm stays (the safe side) until the entry is
// older than STALE_USER_S; a lock older than STALE_LOCK_MS is taken from a run that died holding it.

const LOCK_NAME = 'aloft-swarm-test-lock';
/** Value: the run using the swarm. `docker ps -a --filter label=` shows who does. */
export const SWARM_USER_LABEL = 'io.aloft.test.swarm-user';
const LOCK_LABEL = 'io.aloft.test.swarm-lock';
const MADE_LABEL = 'io.aloft.test.swarm-made';
const STALE_USER_S = 30 * 60;
const STALE_LOCK_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const idle = (labels: Record<string, string>) => ({
  Image: BASE_IMAGES.busybox,
  Cmd: ['true'],
  Labels: labels,
});

async function withSwarmLock<T>(run: string, body: () => Promise<T>): Promise<T> {
  const docker = dockerClient();
  let lock: string | undefined;
  for (const end = Date.now() + 120_000; !lock; ) {
    try {
      lock = (await docker.createContainer({ name: LOCK_NAME, ...idle({ [LOCK_LABEL]: run }) })).id;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
      const held = await docker
        .getContainer(LOCK_NAME)
        .inspect()
        .catch(() => undefined);
      // By ID: if another waiter replaced the stale lock already, its fresh one stays.
      if (held && Date.now() - Date.parse(held.Created) > STALE_LOCK_MS)
        await docker
          .getContainer(held.Id)
          .remove({ force: true })
          .catch(() => undefined);
      if (Date.now() > end)
        throw new Error(`swarm test: ${LOCK_NAME} stayed taken for 120 s; remove it if no Swarm test runs`);
      await sleep(100 + Math.random() * 100);
    }
  }
  try {
    return await body();
  } finally {
    await docker.getContainer(lock).remove({ force: true });
  }
}

/**
 * Joins this run to the engine's swarm, making a one-node swarm if the engine is in none.
 * Resolves to the function that leaves: it drops this run's entry and, if no other run uses the
 * swarm and a test made it, leaves the swarm so that the engine ends as it was found. Call it
 * after ensureBaseImages() (ensureFixtureImages() does): the lock and entries are busybox
 * containers, created and never started.
 */
export async function useSwarm(run: string): Promise<() => Promise<void>> {
  const docker = dockerClient();
  const user = await withSwarmLock(run, async () => {
    const info = await docker.info();
    if (info.Swarm?.LocalNodeState !== 'active')
      await docker.swarmInit({
        ListenAddr: '127.0.0.1:2377',
        AdvertiseAddr: '127.0.0.1',
        Spec: { Labels: { [MADE_LABEL]: '1' } },
      });
    else if (!info.Swarm?.ControlAvailable)
      throw new Error('this engine is a swarm worker, not a manager: the Swarm backend test needs a manager');
    return (await docker.createContainer(idle({ [SWARM_USER_LABEL]: run }))).id;
  });
  return () =>
    withSwarmLock(run, async () => {
      await docker.getContainer(user).remove({ force: true });
      const users = await docker.listContainers({ all: true, filters: { label: [SWARM_USER_LABEL] } });
      let others = 0;
      for (const c of users) {
        if (Date.now() / 1000 - c.Created < STALE_USER_S) others++;
        else await docker.getContainer(c.Id).remove({ force: true });
      }
      if (others > 0) return;
      const swarm = await docker.swarmInspect().catch(() => undefined);
      if (swarm?.Spec?.Labels?.[MADE_LABEL] === '1') await docker.swarmLeave({ force: true });
    });
}
