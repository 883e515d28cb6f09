export { BASE_IMAGES, ensureBaseImages } from './base-images.js';
export { dockerClient, LABEL_PREFIX } from './client.js';
export { DockerError, type DockerErrorCode, isDockerError } from './errors.js';
export { pingDocker } from './ping.js';
