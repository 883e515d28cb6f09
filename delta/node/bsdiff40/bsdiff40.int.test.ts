import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bsdiff, bspatch } from '../../core/bsdiff/index.js';
import { readBsdiff40, writeBsdiff40 } from './index.js';

// Interop with Debian's bsdiff/bspatch (package `bsdiff`), both directions, on real ELF files
// of this machine. Debian's bsdiff cannot read empty files (mmap fails), so the empty-file
// cases run only in the direction that Debian supports: our patch, their bspatch.

const dir = mkdtempSync(join(tmpdir(), 'aloft-bsdiff40-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
let n = 0;
const file = (bytes: Uint8Array): string => {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, bytes);
  return path;
};
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

async function oursToDebian(oldBytes: Uint8Array, newBytes: Uint8Array): Promise<number> {
  const patch = await writeBsdiff40(bsdiff(oldBytes, newBytes), newBytes.length);
  const out = join(dir, `out${n++}`);
  execFileSync('bspatch', [file(oldBytes), out, file(patch)]);
  expect(same(read(out), newBytes)).toBe(true);
  return patch.length;
}

async function debianToOurs(oldBytes: Uint8Array, newBytes: Uint8Array): Promise<number> {
  const patchPath = join(dir, `p${n++}`);
  execFileSync('bsdiff', [file(oldBytes), file(newBytes), patchPath]);
  const patch = read(patchPath);
  const { streams, newSize } = await readBsdiff40(patch);
  expect(newSize).toBe(newBytes.length);
  expect(same(bspatch(oldBytes, streams, newSize), newBytes)).toBe(true);
  return patch.length;
}

/** Real pairs of similar binaries installed by the project's Debian packages (large pairs: bench/bsdiff-kernel.ts). */
const pairs: [string, string][] = [
  ['/usr/bin/bsdiff', '/usr/bin/bspatch'],
  ['/usr/bin/mosquitto_pub', '/usr/bin/mosquitto_sub'],
];

describe('BSDIFF40 interop with Debian bsdiff/bspatch', () => {
  for (const [a, b] of pairs) {
    it(`${a} -> ${b}: our patch applies with Debian bspatch, theirs with ours`, async () => {
      expect(existsSync(a) && existsSync(b), `${a} and ${b} come with scripts/packages`).toBe(true);
      const oldBytes = read(a);
      const newBytes = read(b);
      const ours = await oursToDebian(oldBytes, newBytes);
      const theirs = await debianToOurs(oldBytes, newBytes);
      // Same algorithm: our patch stays within a few percent of Debian's.
      expect(ours).toBeLessThan(theirs * 1.05 + 256);
    });
  }

  it('a real binary edited like a relink (inserted and shifted code) round-trips both ways', async () => {
    const base = read('/usr/bin/bspatch');
    const edited = new Uint8Array(base.length + 4096);
    edited.set(base.subarray(0, 5000));
    edited.fill(0x90, 5000, 9096);
    edited.set(base.subarray(5000), 9096);
    for (let i = 9096; i < edited.length; i += 97) edited[i] ^= 1;
    await oursToDebian(base, edited);
    await debianToOurs(base, edited);
  });

  it('edge cases: identical files both ways; empty old or new with Debian bspatch', async () => {
    const x = read('/usr/bin/bsdiff');
    await oursToDebian(x, x);
    await debianToOurs(x, x);
    const hello = new TextEncoder().encode('hello, drone');
    await oursToDebian(new Uint8Array(0), hello);
    await oursToDebian(hello, new Uint8Array(0));
    await oursToDebian(new Uint8Array(0), new Uint8Array(0));
    await debianToOurs(Uint8Array.of(1), Uint8Array.of(2));
  });
});
