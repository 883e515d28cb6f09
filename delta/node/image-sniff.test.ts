import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { mayBeImage } from './image-sniff.js';
import { gnuTarBytes, tempDir } from './testing/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const file = (name: string, bytes: Uint8Array | string) => {
  const path = join(tmp.dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('mayBeImage (create skips the image branch only when this says no)', () => {
  it('rules out a layer tar and a plain file', () => {
    expect(
      mayBeImage(file('layer.tar', gnuTarBytes({ 'usr/bin/a': 'a', 'etc/manifest.json.bak': 'x' }))),
    ).toBe(false);
    expect(mayBeImage(file('plain.bin', 'not a tar at all'))).toBe(false);
  });

  it('keeps docker-save and OCI tars, in any tar format', () => {
    for (const format of ['gnu', 'posix', 'ustar'] as const) {
      const docker = gnuTarBytes({ 'abc/layer.tar': 'l', 'manifest.json': '[]' }, format);
      expect(mayBeImage(file(`docker-${format}.tar`, docker))).toBe(true);
      const oci = gnuTarBytes({ 'oci-layout': '{}', 'index.json': '{}', 'blobs/sha256/x': 'b' }, format);
      expect(mayBeImage(file(`oci-${format}.tar`, oci))).toBe(true);
    }
  });

  it('leaves what it cannot read to the image branch: folders, gzip, missing files', () => {
    const dir = join(tmp.dir, 'layout');
    mkdirSync(dir);
    expect(mayBeImage(dir)).toBe(true);
    expect(mayBeImage(file('image.tar.gz', gzipSync(gnuTarBytes({ 'manifest.json': '[]' }))))).toBe(true);
    expect(mayBeImage(join(tmp.dir, 'missing.tar'))).toBe(true);
  });
});
