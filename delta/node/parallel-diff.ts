// Diffs ahead, on two threads. createPatch asks its bsdiff port once per changed file, in tar
// order, on one thread. Here a dry run (no compression, an empty answer per diff, no .gz
// rebuilding) lists those (old, new) pairs first; the largest-first split gives one worker thread about
// half of the work while this thread does the rest; the real run is then answered from the
// results. A bsdiff is a pure function of its two inputs, so the patch is byte for byte the one
// a single thread makes; a pair the dry run did not foresee is simply diffed when asked.
// createPatchFile is synchronous: this thread blocks in Atomics.wait for the worker and reads
// its answer with receiveMessageOnPort (no event loop needed).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { type BsdiffControl, type BsdiffStreams, bsdiff } from '../core/bsdiff/index.js';
import { type CreateInput, createPatch } from '../core/index.js';
import { type DiffAnswer, type DiffJob, STATE_DONE, STATE_IDLE } from './diff-worker.js';

export type DiffPort = (oldBytes: Uint8Array, newBytes: Uint8Array) => BsdiffStreams;

/** Below this much diff work (old + new bytes) a worker's start-up (~50 ms) is not worth it. */
export const MIN_PARALLEL_BYTES = 4 << 20;
/** A worker that has not picked up its batch this long after this thread finished is presumed dead. */
const START_GRACE_MS = 5000;
/** ...and one still busy this long after (or 4x this thread's own time, if more). */
const BUSY_LIMIT_MS = 120_000;

/** Extra diff threads by default: one when the machine has a second core, ALOFT_DIFF_WORKERS overrides. */
export const defaultDiffWorkers = (): number => {
  const env = process.env.ALOFT_DIFF_WORKERS;
  if (env !== undefined && env !== '') return Math.max(0, Math.min(1, Number(env) || 0));
  return availableParallelism() > 1 ? 1 : 0;
};

const EMPTY: BsdiffStreams = { controls: [], diff: new Uint8Array(0), extra: new Uint8Array(0) };

interface Pair {
  readonly old: Uint8Array;
  readonly nw: Uint8Array;
  streams?: BsdiffStreams;
}

const sameView = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length &&
  ((a.buffer === b.buffer && a.byteOffset === b.byteOffset) ||
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.length),
      Buffer.from(b.buffer, b.byteOffset, b.length),
    ) === 0);

/** The (old, new) pairs createPatch will diff, in its order. */
export function plannedDiffs(input: CreateInput): Pair[] {
  const pairs: Pair[] = [];
  createPatch({
    ...input,
    compress: (b) => b,
    progress: undefined,
    // Rebuilding .gz files costs the dry run an inflate and a deflate each; their (small)
    // content diffs are left to the real run.
    gzip: false,
    bsdiff: (old, nw) => {
      pairs.push({ old, nw });
      return EMPTY;
    },
  });
  return pairs;
}

/** Largest first, each pair to the side with less work so far; side 0 is this thread. */
export function splitWork(pairs: readonly Pair[]): [Pair[], Pair[]] {
  const sides: [Pair[], Pair[]] = [[], []];
  const load = [0, 0];
  const cost = (p: Pair) => p.old.length + p.nw.length;
  for (const p of [...pairs].sort((a, b) => cost(b) - cost(a))) {
    const side = load[0] <= load[1] ? 0 : 1;
    sides[side].push(p);
    load[side] += cost(p);
  }
  return sides;
}

const toControls = (flat: Float64Array): BsdiffControl[] => {
  const out: BsdiffControl[] = new Array(flat.length / 3);
  for (let i = 0; i < out.length; i++)
    out[i] = { add: flat[i * 3], copy: flat[i * 3 + 1], seek: flat[i * 3 + 2] };
  return out;
};

/** The worker module next to this one (absent when running from TypeScript sources). */
const workerUrl = (): URL | undefined => {
  const url = new URL('./diff-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
};

/** Runs `batch` on a worker while `local` runs here; false when the worker could not be used. */
function diffOnTwoThreads(local: Pair[], batch: Pair[]): boolean {
  const url = workerUrl();
  if (!url) return false;
  const state = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: { port: port2, state }, transferList: [port2] });
  } catch {
    return false;
  }
  worker.unref();
  try {
    const jobs: DiffJob[] = batch.map((p) => ({ old: p.old.slice(), nw: p.nw.slice() }));
    port1.postMessage(
      jobs,
      jobs.flatMap((j) => [j.old.buffer as ArrayBuffer, j.nw.buffer as ArrayBuffer]),
    );
    const started = performance.now();
    for (const p of local) p.streams = bsdiff(p.old, p.nw);
    const localDone = performance.now();
    // A worker that died (say, out of memory) never says so to a thread blocked here: past a
    // generous bound this thread diffs the batch itself.
    const busyLimit = Math.max(BUSY_LIMIT_MS, 4 * (localDone - started));
    for (;;) {
      const s = Atomics.load(state, 0);
      if (s === STATE_DONE) break;
      const waited = performance.now() - localDone;
      if (s === STATE_IDLE && waited > START_GRACE_MS) return false;
      if (waited > busyLimit) return false;
      Atomics.wait(state, 0, s, 100);
    }
    const reply = receiveMessageOnPort(port1)?.message as { answers?: DiffAnswer[] } | undefined;
    if (!reply?.answers || reply.answers.length !== batch.length) return false;
    reply.answers.forEach((a, i) => {
      batch[i].streams = { controls: toControls(a.controls), diff: a.diff, extra: a.extra };
    });
    return true;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/**
 * A bsdiff port for createPatch answered from diffs made ahead on two threads, or undefined
 * when that would not pay (one diff, little work, no worker): then createPatch diffs as usual.
 */
export function diffAhead(
  input: CreateInput,
  workers = defaultDiffWorkers(),
): { port: DiffPort; threads: 1 | 2 } | undefined {
  if (workers < 1) return undefined;
  let pairs: Pair[];
  try {
    pairs = plannedDiffs(input);
  } catch {
    return undefined; // the real run will report whatever is wrong
  }
  const total = pairs.reduce((n, p) => n + p.old.length + p.nw.length, 0);
  if (pairs.length < 2 || total < MIN_PARALLEL_BYTES) return undefined;
  const [local, batch] = splitWork(pairs);
  const twoThreads = diffOnTwoThreads(local, batch);
  if (!twoThreads) for (const p of pairs) p.streams ??= bsdiff(p.old, p.nw);
  const byLength = new Map<string, Pair[]>();
  for (const p of pairs) {
    const key = `${p.old.length}:${p.nw.length}`;
    byLength.set(key, [...(byLength.get(key) ?? []), p]);
  }
  const port: DiffPort = (old, nw) => {
    const hit = byLength
      .get(`${old.length}:${nw.length}`)
      ?.find((p) => sameView(p.old, old) && sameView(p.nw, nw));
    return hit?.streams ?? bsdiff(old, nw);
  };
  return { port, threads: twoThreads ? 2 : 1 };
}
