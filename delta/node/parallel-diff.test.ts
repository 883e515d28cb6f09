import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CreateInput, createPatch } from '../core/index.js';
import { zstdCompress } from './compress.js';
import { nodeSha256 } from './hash.js';
import { diffAhead, MIN_PARALLEL_BYTES, plannedDiffs, splitWork } from './parallel-diff.js';
import { gnuTar, noise, tempDir, writeTree } from './testing/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const edited = (b: Uint8Array, every: number) => b.map((x, i) => (i % every === 0 ? x ^ 0x5a : x));

// Three changed binaries (about 4.6 MB of diff work, above MIN_PARALLEL_BYTES), one unchanged.
function layers(): CreateInput {
  const a = noise(1_200_000, 3);
  const b = noise(700_000, 5);
  const c = noise(400_000, 7);
  writeTree(join(tmp.dir, 'old'), { 'bin/a': a, 'bin/b': b, 'lib/c': c, same: 'same' });
  writeTree(join(tmp.dir, 'new'), {
    'bin/a': edited(a, 997),
    'bin/b': edited(b, 499),
    'lib/c': edited(c, 1999),
    same: 'same',
  });
  gnuTar(join(tmp.dir, 'old'), join(tmp.dir, 'old.tar'), 'gnu');
  gnuTar(join(tmp.dir, 'new'), join(tmp.dir, 'new.tar'), 'gnu');
  const old = new Uint8Array(readFileSync(join(tmp.dir, 'old.tar')));
  return {
    old,
    new: new Uint8Array(readFileSync(join(tmp.dir, 'new.tar'))),
    source: { size: old.length, sha256: new Uint8Array(32), gzip: false },
    newGzip: false,
    sha256: nodeSha256,
    compress: zstdCompress,
  };
}

describe('diffs made ahead', () => {
  const input = layers();

  it('lists the changed files createPatch will diff, in tar order', () => {
    const pairs = plannedDiffs(input).filter((p) => p.nw.length > 100_000);
    expect(pairs.map((p) => p.nw.length)).toEqual([1_200_000, 700_000, 400_000]);
    expect(pairs.reduce((n, p) => n + p.old.length + p.nw.length, 0)).toBeGreaterThan(MIN_PARALLEL_BYTES);
  });

  it('splits the work largest first between two threads', () => {
    const [here, there] = splitWork(plannedDiffs(input));
    expect(here[0].nw.length).toBe(1_200_000);
    expect(there.map((p) => p.nw.length)).toContain(700_000);
    expect(there.map((p) => p.nw.length)).toContain(400_000);
  });

  it('answers createPatch with the very same patch bytes as diffing in line', () => {
    const ahead = diffAhead(input, 1);
    // From TypeScript sources there is no built worker module: the diffs run on this thread.
    expect(ahead?.threads).toBe(1);
    const serial = createPatch(input);
    const answered = createPatch({ ...input, bsdiff: ahead?.port });
    expect(answered.stats.diffed).toBe(3);
    expect(Buffer.concat(answered.parts)).toEqual(Buffer.concat(serial.parts));
    expect(diffAhead(input, 0)).toBeUndefined();
  });
});
