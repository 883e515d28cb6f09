// The worker thread itself runs only from the build (dist/, made by `npm run build`, which the
// test command runs first): the built CLI makes the same patch with and without it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../sdk/project-root.js';
import { gnuTar, noise, sha256Hex, tempDir, writeTree } from './testing/fixtures.js';

const cli = join(projectRoot(), 'dist', 'delta', 'main.js');
const tmp = tempDir();
afterAll(() => tmp.remove());

const edited = (b: Uint8Array, every: number) => b.map((x, i) => (i % every === 0 ? x ^ 0x5a : x));

describe('delta create on two threads (built CLI)', () => {
  it('diffs changed files on a worker and writes the same patch as one thread', () => {
    // bin/a is above SPLIT_MIN_BYTES: its halves are scanned by whichever thread is free.
    if (!existsSync(join(projectRoot(), 'dist', 'delta', 'node', 'diff-worker.js')))
      throw new Error(`build first: ${cli} has no diff worker beside it`);
    const a = noise(4_400_000, 3).map((x) => x & 0x3f);
    const b = noise(700_000, 5);
    const c = noise(400_000, 7);
    writeTree(join(tmp.dir, 'old'), { 'bin/a': a, 'bin/b': b, 'lib/c': c });
    writeTree(join(tmp.dir, 'new'), {
      'bin/a': edited(a, 997),
      'bin/b': edited(b, 499),
      'lib/c': edited(c, 1999),
    });
    const o = join(tmp.dir, 'old.tar');
    const n = join(tmp.dir, 'new.tar');
    gnuTar(join(tmp.dir, 'old'), o, 'gnu');
    gnuTar(join(tmp.dir, 'new'), n, 'gnu');
    const create = (workers: string, patch: string) =>
      JSON.parse(
        execFileSync('node', [cli, 'create', o, n, '-o', patch, '--json'], {
          encoding: 'utf8',
          env: { ...process.env, ALOFT_DIFF_WORKERS: workers },
        }),
      ) as { diffThreads: number; stats: { diffed: number } };
    const two = create('1', join(tmp.dir, 'two.aloft'));
    const one = create('0', join(tmp.dir, 'one.aloft'));
    expect(two.diffThreads).toBe(2);
    expect(one.diffThreads).toBe(1);
    expect(two.stats.diffed).toBe(3);
    expect(readFileSync(join(tmp.dir, 'two.aloft'))).toEqual(readFileSync(join(tmp.dir, 'one.aloft')));
    const out = join(tmp.dir, 'out.tar');
    execFileSync('node', [cli, 'apply', o, join(tmp.dir, 'two.aloft'), '-o', out]);
    expect(sha256Hex(out)).toBe(sha256Hex(n));
  });
});
