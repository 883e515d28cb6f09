import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../project-root.js';
import { ChaosError } from './errors.js';
import { INJECTOR_IMAGE } from './network.js';

/** Builds aloft/chaos-injector:1 unless it is up to date (gcc + libnetfilter-queue-dev on the host). */
export function ensureInjectorImage(image = INJECTOR_IMAGE): Promise<void> {
  const script = join(projectRoot(), 'sdk', 'chaos', 'injector', 'build-image.sh');
  return new Promise((resolve, reject) => {
    execFile('bash', [script, image], { timeout: 300_000 }, (err, _out, stderr) => {
      if (err)
        reject(
          new ChaosError(
            'CHAOS_INJECTOR',
            `building ${image} failed: ${String(stderr).trim() || err.message}`,
          ),
        );
      else resolve();
    });
  });
}
