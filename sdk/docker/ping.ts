import { dockerClient } from './client.js';
import { DockerError } from './errors.js';

/** Resolves to the engine's version, or rejects with DOCKER_UNREACHABLE and what to do about it. */
export async function pingDocker(): Promise<string> {
  try {
    const v = await dockerClient().version();
    return v.Version;
  } catch (e) {
    throw new DockerError(
      'DOCKER_UNREACHABLE',
      `no Docker Engine answers (${(e as Error).message}): run scripts/services.sh as root, or set DOCKER_HOST`,
    );
  }
}
