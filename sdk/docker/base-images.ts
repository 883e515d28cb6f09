import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../project-root.js';
import { DockerError } from './errors.js';

/** Local base images built by scripts/build-images.sh (no registry is reachable). */
export const BASE_IMAGES = {
  /** FROM scratch + Debian's static busybox: a shell and the usual applets in 2 MB. */
  busybox: 'aloft/busybox:1',
  /** busybox plus this machine's node binary and its shared libraries. */
  node: 'aloft/node:20',
} as const;

/** Builds the base images unless they are up to date. Idempotent, safe to call from every test file. */
export function ensureBaseImages(): Promise<void> {
  const script = join(projectRoot(), 'scripts', 'build-images.sh');
  return new Promise((resolve, reject) => {
    execFile('bash', [script], { timeout: 600_000 }, (err, _stdout, stderr) => {
      if (err)
        reject(
          new DockerError(
            'DOCKER_BASE_IMAGES',
            `building base images failed: ${stderr.trim() || err.message}`,
          ),
        );
      else resolve();
    });
  });
}
