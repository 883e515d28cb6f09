import Docker from 'dockerode';

/**
 * The Docker Engine Aloft talks to: DOCKER_HOST when set (dockerode reads it), else the local
 * socket. One client per process is enough; dockerode keeps no state beyond its agent.
 */
let shared: Docker | undefined;
export function dockerClient(): Docker {
  shared ??= new Docker();
  return shared;
}

/** Every container, image and network Aloft creates carries labels under this prefix. */
export const LABEL_PREFIX = 'io.aloft.';
