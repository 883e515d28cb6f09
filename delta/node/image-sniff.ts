// Whether a `delta create` input may be a container image, answered synchronously from the tar
// headers. The image branch (delta/node/image) takes ~0.1 s to load, and its own check reads
// the headers one async read at a time (0.1-0.25 s for a layer of many files): a layer or file
// delta should not pay that twice per create. Whatever this cannot rule out (directories, gzip,
// unreadable or odd tars) still goes to the image branch, which decides as before.
import { lstatSync } from 'node:fs';
import { detectTar, scanTar } from '../core/tar/index.js';
import { openFileSource } from './file-source.js';
import { isGzip } from './input.js';

/** The files that make a tar a docker-save image or an OCI layout (read-image.ts). */
const IMAGE_FILES = new Set(['manifest.json', 'index.json', 'oci-layout']);

export function mayBeImage(path: string): boolean {
  try {
    if (!lstatSync(path).isFile()) return true;
    const source = openFileSource(path);
    try {
      const head = source.read(0, Math.min(512, source.size));
      if (isGzip(head)) return true;
      if (!detectTar(head)) return false;
      return scanTar(source).regions.some((r) => IMAGE_FILES.has(r.path.replace(/^(\.\/)+/, '')));
    } finally {
      source.close();
    }
  } catch {
    return true;
  }
}
