import type Docker from 'dockerode';
import type { ContainerAction } from './state.js';
import type { Fault } from './types.js';

const notFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

/** Does a container fault; returns what must be undone. */
export async function actOnContainer(docker: Docker, id: string, fault: Fault): Promise<ContainerAction> {
  const c = docker.getContainer(id);
  switch (fault.kind) {
    case 'kill':
      await c.kill({ signal: fault.signal });
      return 'killed';
    case 'stop':
      // Docker's own grace period: the target gets SIGTERM, then SIGKILL after 10 s.
      await c.stop({ t: 10 });
      return 'stopped';
    case 'pause':
      await c.pause();
      return 'paused';
    case 'restart':
      await c.restart({ t: 10 });
      return 'restarted';
    default:
      throw new Error(`${fault.kind} is not a container fault`);
  }
}

/** Undoes a container fault: unpause, or start again what we stopped or killed. Idempotent. */
export async function undoContainerAction(
  docker: Docker,
  id: string,
  action: ContainerAction,
): Promise<string> {
  const c = docker.getContainer(id);
  let state: Docker.ContainerInspectInfo['State'];
  try {
    state = (await c.inspect()).State;
  } catch (e) {
    if (notFound(e)) return 'target gone';
    throw e;
  }
  if (state.Paused) {
    await c.unpause();
    return 'unpaused';
  }
  if (action !== 'paused' && !state.Running && !state.Restarting) {
    await c.start();
    return 'started';
  }
  return 'nothing to undo';
}
