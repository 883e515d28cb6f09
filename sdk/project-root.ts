import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding Aloft's package.json, found by walking up from this file, so that
 * scripts and example sources resolve the same from the TypeScript sources (tests) and
 * from dist/ (the built commands).
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error('cannot find the aloft package folder above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}
