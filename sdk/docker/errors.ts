export type DockerErrorCode = 'DOCKER_UNREACHABLE' | 'DOCKER_BASE_IMAGES' | 'DOCKER_IMAGE_MISSING';

/** A failure talking to the Docker Engine, with a code a caller can branch on. */
export class DockerError extends Error {
  override name = 'DockerError';
  constructor(
    readonly code: DockerErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isDockerError = (e: unknown): e is DockerError => e instanceof DockerError;
