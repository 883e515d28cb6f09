import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { type BsdiffStreams, joinParts, splitBsdiff } from '../core/bsdiff/index.js';
import { type CreateInput, createPatch } from '../core/index.js';
import { zstdCompress } from './compress.js';
import {
  linuxThreadId,
  MAIN,
  release,
  runTasks,
  TASK_INDEX,
  TASK_PART,
  TASK_WHOLE,
  threadGone,
  WORKER,
} from './diff-tasks.js';
import { nodeSha256 } from './hash.js';
import { diffAhead, MIN_PARALLEL_BYTES, makeBoard, plannedDiffs } from './parallel-diff.js';
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

  it('lays out the diff tasks: suffix arrays first, then the rest largest first', () => {
    const pairs = plannedDiffs(input);
    const board = makeBoard(pairs);
    expect(board.tasks.every((t) => t.kind === TASK_WHOLE)).toBe(true);
    const sizes = board.tasks.map((t) => pairs[t.pair].nw.length);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    // Each task reads its bytes from the shared copy.
    const spec = board.pairs[board.tasks[0].pair];
    const old = new Uint8Array(board.data, spec.oldAt, spec.oldSize);
    expect(Buffer.from(old).equals(Buffer.from(pairs[board.tasks[0].pair].old))).toBe(true);
  });

  // A big file (split: a suffix array and two halves) after a small one.
  const old = noise(4_300_000, 9).map((b) => b & 0x3f);
  const nw = edited(old, 3001);
  const bigPairs = [
    { old: noise(20_000, 10), nw: noise(20_000, 11) },
    { old, nw },
  ];
  let want: BsdiffStreams | undefined;
  const expectSplitBsdiff = (board: ReturnType<typeof makeBoard>, results: Map<number, BsdiffStreams>) => {
    expect(results.size).toBe(3);
    const parts = board.tasks.flatMap((t, i) =>
      t.kind === TASK_PART ? [results.get(i) as BsdiffStreams] : [],
    );
    const got = joinParts(parts);
    want ??= splitBsdiff(old, nw);
    expect(got.controls).toEqual(want.controls);
    expect(Buffer.from(got.diff).equals(Buffer.from(want.diff))).toBe(true);
    expect(Buffer.from(got.extra).equals(Buffer.from(want.extra))).toBe(true);
  };

  it('runs a big file as a suffix array and two halves, the same diff as splitBsdiff', () => {
    const board = makeBoard(bigPairs);
    expect(board.tasks.map((t) => t.kind)).toEqual([TASK_INDEX, TASK_PART, TASK_PART, TASK_WHOLE]);
    const results = new Map<number, BsdiffStreams>();
    expect(runTasks(board, MAIN, (i, s) => results.set(i, s))).toBe(true);
    expectSplitBsdiff(board, results);
  });

  it('takes back what a dead worker held (a suffix array, a half-built inverse) when it waits', () => {
    const board = makeBoard(bigPairs);
    // A dead worker's leftovers: the suffix array and a whole diff claimed, never done, and the
    // inverse marked as being built.
    Atomics.store(board.claims, 0, WORKER);
    Atomics.store(board.claims, 3, WORKER);
    Atomics.store(board.rankState, 1, 1);
    const results = new Map<number, BsdiffStreams>();
    let asked = 0;
    const gone = () => {
      asked++;
      return true;
    };
    // No time limit: without the liveness check this would wait for ever (the test times out).
    expect(runTasks(board, MAIN, (i, s) => results.set(i, s), Number.POSITIVE_INFINITY, gone)).toBe(true);
    expect(asked).toBeGreaterThan(0);
    expect([...board.claims]).toEqual([MAIN, MAIN, MAIN, MAIN]);
    expect(Atomics.load(board.rankState, 1)).not.toBe(1);
    expectSplitBsdiff(board, results);
  });

  it("sees a worker thread end while this thread is blocked (no 'exit' event)", () => {
    const here = new Int32Array(new SharedArrayBuffer(4));
    expect(threadGone(here)).toBe(false); // no id said yet: presumed alive
    Atomics.store(here, 0, linuxThreadId());
    expect(here[0]).toBeGreaterThan(0);
    expect(threadGone(here)).toBe(false);
    // One thread exits by itself, the other is terminated while it spins.
    const start = (then: string) => {
      const thread = new Int32Array(new SharedArrayBuffer(4));
      const worker = new Worker(
        `const { workerData } = require('node:worker_threads');
         const id = require('node:fs').readlinkSync('/proc/thread-self').split('/').pop();
         Atomics.store(workerData, 0, Number(id));
         Atomics.notify(workerData, 0);
         ${then}`,
        { eval: true, workerData: thread },
      );
      expect(Atomics.wait(thread, 0, 0, 10_000)).not.toBe('timed-out');
      return { worker, thread };
    };
    const blockedUntilGone = (thread: Int32Array) => {
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const t0 = performance.now();
      while (!threadGone(thread) && performance.now() - t0 < 20_000) Atomics.wait(nap, 0, 0, 10);
      return threadGone(thread);
    };
    const exits = start('process.exit(3)');
    expect(blockedUntilGone(exits.thread)).toBe(true);
    const spins = start('for (;;);');
    expect(threadGone(spins.thread)).toBe(false);
    void spins.worker.terminate();
    expect(blockedUntilGone(spins.thread)).toBe(true);
  });

  it('takes back the tasks a failing worker gives back', () => {
    const pairs = plannedDiffs(input);
    const board = makeBoard(pairs);
    for (let i = 0; i < board.tasks.length; i++) Atomics.store(board.claims, i, WORKER);
    const results = new Map<number, BsdiffStreams>();
    expect(runTasks(board, MAIN, (i, s) => results.set(i, s))).toBe(true);
    expect(results.size).toBe(0);
    release(board, WORKER);
    expect(runTasks(board, MAIN, (i, s) => results.set(i, s))).toBe(true);
    expect(results.size).toBe(board.tasks.length);
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
