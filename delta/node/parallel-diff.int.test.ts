// The worker thread itself runs only from the build (dist/, made by `npm run build`, which the
// test command runs first): the built CLI makes the same patch with and without it, and when
// the worker dies outright mid-run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../sdk/project-root.js';
import { gnuTar, noise, sha256Hex, tempDir, writeTree } from './testing/fixtures.js';

const cli = join(projectRoot(), 'dist', 'delta', 'main.js');
const tmp = tempDir();
afterAll(() => tmp.remove());

const edited = (b: Uint8Array, every: number) => b.map((x, i) => (i % every === 0 ? x ^ 0x5a : x));
const o = join(tmp.dir, 'old.tar');
const n = join(tmp.dir, 'new.tar');

const create = (workers: string, patch: string, env: NodeJS.ProcessEnv = {}) =>
  JSON.parse(
    execFileSync('node', [cli, 'create', o, n, '-o', patch, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, ALOFT_DIFF_WORKERS: workers, ...env },
    }),
  ) as { diffThreads: number; diffWorkerDied: boolean; stats: { diffed: number } };

describe('delta create on two threads (built CLI)', () => {
  beforeAll(() => {
    if (!existsSync(join(projectRoot(), 'dist', 'delta', 'node', 'diff-worker.js')))
      throw new Error(`build first: ${cli} has no diff worker beside it`);
    // bin/a is above SPLIT_MIN_BYTES: its halves are scanned by whichever thread is free.
    const a = noise(4_400_000, 3).map((x) => x & 0x3f);
    const b = noise(700_000, 5);
    const c = noise(400_000, 7);
    writeTree(join(tmp.dir, 'old'), { 'bin/a': a, 'bin/b': b, 'lib/c': c });
    writeTree(join(tmp.dir, 'new'), {
      'bin/a': edited(a, 997),
      'bin/b': edited(b, 499),
      'lib/c': edited(c, 1999),
    });
    gnuTar(join(tmp.dir, 'old'), o, 'gnu');
    gnuTar(join(tmp.dir, 'new'), n, 'gnu');
    expect(create('0', join(tmp.dir, 'one.aloft')).diffThreads).toBe(1);
  });

  it('diffs changed files on a worker and writes the same patch as one thread', () => {
    const two = create('1', join(tmp.dir, 'two.aloft'));
    expect(two.diffThreads).toBe(2);
    expect(two.diffWorkerDied).toBe(false);
    expect(two.stats.diffed).toBe(3);
    expect(readFileSync(join(tmp.dir, 'two.aloft'))).toEqual(readFileSync(join(tmp.dir, 'one.aloft')));
    const out = join(tmp.dir, 'out.tar');
    execFileSync('node', [cli, 'apply', o, join(tmp.dir, 'two.aloft'), '-o', out]);
    expect(sha256Hex(out)).toBe(sha256Hex(n));
  });

  it('notices a worker that dies outright at once and diffs what it held here', () => {
    // The worker exits as it finishes its first diff, that task claimed and never done (this
    // thread is on bin/a's suffix array meanwhile); it used to wait that out for 120 s.
    const t0 = performance.now();
    const died = create('1', join(tmp.dir, 'died.aloft'), { ALOFT_TEST_DIFF_WORKER_EXIT_AT: '1' });
    const seconds = (performance.now() - t0) / 1000;
    expect(died.stats.diffed).toBe(3);
    expect(died.diffWorkerDied).toBe(true);
    expect(readFileSync(join(tmp.dir, 'died.aloft'))).toEqual(readFileSync(join(tmp.dir, 'one.aloft')));
    // A generous bound, far below the limit the old wait took (a few seconds here).
    expect(seconds).toBeLessThan(30);
  });
});
