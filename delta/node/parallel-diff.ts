// Diffs ahead, on two threads. createPatch asks its bsdiff port once per changed file, in tar
// order, on one thread. Here a dry run (no compression, an empty answer per diff, no .gz
// rebuilding) lists those (old, new) pairs first; this thread and one worker then take the
// diff tasks (diff-tasks.ts: whole files, and big files as a suffix array plus two halves)
// from a shared list until it is empty; the real run is answered from the results. Every task
// is a pure function and a big file is always cut where splitBsdiff cuts it, so the patch is
// byte for byte the one a single thread makes; a pair the dry run did not foresee is simply
// diffed when asked. createPatchFile is synchronous: this thread blocks in Atomics.wait for the
// worker and reads its answers with receiveMessageOnPort (no event loop needed). Nor does it see
// the worker's 'exit' event: a worker that dies outright is noticed through /proc instead
// (threadGone in diff-tasks.ts), its unfinished tasks taken back and diffed here.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  type BsdiffControl,
  type BsdiffStreams,
  joinParts,
  splitBsdiff,
  splitPoints,
} from '../core/bsdiff/index.js';
import { type CreateInput, createPatch } from '../core/index.js';
import {
  type Board,
  MAIN,
  type PairSpec,
  planTasks,
  release,
  runTasks,
  TASK_INDEX,
  threadGone,
  WORKER,
} from './diff-tasks.js';
import type { DiffAnswer } from './diff-worker.js';

export type DiffPort = (oldBytes: Uint8Array, newBytes: Uint8Array) => BsdiffStreams;

/** Below this much diff work (old + new bytes) a worker's start-up (~50 ms) is not worth it. */
export const MIN_PARALLEL_BYTES = 4 << 20;
/**
 * A worker still busy this long after this thread ran out of tasks (or 4x this thread's own
 * time, if more) is presumed stuck: the last resort for one alive (a dead one is seen at once).
 */
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

/** The pairs' bytes copied into one shared buffer, and the task list over them. */
export function makeBoard(pairs: readonly Pair[]): Board {
  const data = new SharedArrayBuffer(pairs.reduce((n, p) => n + p.old.length + p.nw.length, 0));
  const bytes = new Uint8Array(data);
  let at = 0;
  const specs = pairs.map((p): PairSpec => {
    const oldAt = at;
    bytes.set(p.old, at);
    at += p.old.length;
    const newAt = at;
    bytes.set(p.nw, at);
    at += p.nw.length;
    // Pages of a SharedArrayBuffer are only backed once written: an inverse no scan asks for
    // costs address space, not memory.
    const split = splitPoints(p.nw.length).length > 2;
    const table = () => new SharedArrayBuffer(4 * (p.old.length + 1));
    return {
      oldAt,
      oldSize: p.old.length,
      newAt,
      newSize: p.nw.length,
      ...(split ? { sa: table(), rank: table() } : {}),
    };
  });
  const tasks = planTasks(specs);
  const words = (n: number) => new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
  return {
    data,
    pairs: specs,
    tasks,
    claims: words(tasks.length),
    done: words(tasks.length),
    rankState: words(specs.length),
    ready: words(1),
  };
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

/** Each pair's streams from the task results (a split pair's halves joined). */
function assemble(board: Board, pairs: Pair[], results: Map<number, BsdiffStreams>): void {
  const parts = pairs.map((): { from: number; s: BsdiffStreams }[] => []);
  board.tasks.forEach((t, i) => {
    const s = results.get(i);
    if (t.kind === TASK_INDEX || !s) return;
    parts[t.pair].push({ from: t.from, s });
  });
  pairs.forEach((p, i) => {
    p.streams = joinParts(parts[i].sort((a, b) => a.from - b.from).map((x) => x.s));
  });
}

/** A diff worker thread, started ahead: it loads its modules while this thread reads the inputs. */
export interface DiffWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** [0]: the worker's Linux thread id, once it runs (see threadGone). */
  readonly thread: Int32Array;
}

/** Starts the worker (it waits for a board); undefined when there is no built worker module. */
export function startDiffWorker(): DiffWorker | undefined {
  const url = workerUrl();
  if (!url) return undefined;
  const { port1, port2 } = new MessageChannel();
  const thread = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  try {
    worker = new Worker(url, { workerData: { port: port2, thread }, transferList: [port2] });
  } catch {
    return undefined;
  }
  worker.unref();
  // A worker that fails gives its tasks back through the board (dead outright, it is seen gone):
  // its 'error' event, delivered later on the event loop, must not crash the process.
  worker.on('error', () => {});
  return { worker, port: port1, thread };
}

/** Ends a worker (its work done or not needed). */
export function stopDiffWorker(w: DiffWorker | undefined): void {
  if (!w) return;
  w.port.close();
  void w.worker.terminate();
}

/**
 * Diffs all pairs on this thread and the worker: 'both', or 'worker-died' when the worker died
 * on the way and this thread diffed what it held; false when the worker could not be used.
 */
function diffOnTwoThreads(pairs: Pair[], w: DiffWorker): 'both' | 'worker-died' | false {
  const port1 = w.port;
  const results = new Map<number, BsdiffStreams>();
  const take = () => {
    for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) {
      const a = m.message as DiffAnswer;
      results.set(a.task, { controls: toControls(a.controls), diff: a.diff, extra: a.extra });
    }
  };
  try {
    const board = makeBoard(pairs);
    const expected = board.tasks.filter((t) => t.kind !== TASK_INDEX).length;
    // The board's SharedArrayBuffers are shared by postMessage, not copied.
    port1.postMessage(board);
    const started = performance.now();
    const keep = (i: number, s: BsdiffStreams) => results.set(i, s);
    let died = false;
    const gone = () => {
      died ||= threadGone(w.thread);
      return died;
    };
    // A worker that dies never says so to a thread blocked here: its thread's end is checked
    // whenever this thread waits (runTasks, below); past a generous bound without progress
    // (alive but stuck) this thread gives up and diffs everything itself.
    if (!runTasks(board, MAIN, keep, BUSY_LIMIT_MS, gone)) return false;
    const busyLimit = Math.max(BUSY_LIMIT_MS, 4 * (performance.now() - started));
    const waitFrom = performance.now();
    for (;;) {
      const seen = Atomics.load(board.ready, 0);
      take();
      if (results.size === expected) break;
      const dead = gone();
      // Its answers were posted before it ended (take() has them all now); what it held is free.
      if (dead) {
        take();
        release(board, WORKER);
      }
      // Tasks a failing or dead worker gave back are free again: take them.
      if (!runTasks(board, MAIN, keep, busyLimit, gone)) return false;
      if (results.size === expected) break;
      if (dead || performance.now() - waitFrom > busyLimit) return false;
      Atomics.wait(board.ready, 0, seen, 100);
    }
    assemble(board, pairs, results);
    return died ? 'worker-died' : 'both';
  } finally {
    stopDiffWorker(w);
  }
}

/**
 * A bsdiff port for createPatch answered from diffs made ahead on two threads, or undefined
 * when that would not pay (one diff task, little work, no worker): then createPatch diffs as usual.
 */
export function diffAhead(
  input: CreateInput,
  workers = defaultDiffWorkers(),
  started?: DiffWorker,
): { port: DiffPort; threads: 1 | 2; workerDied: boolean } | undefined {
  let pairs: Pair[] | undefined;
  try {
    if (workers >= 1) pairs = plannedDiffs(input);
  } catch {
    // The real run will report whatever is wrong.
  }
  const total = pairs?.reduce((n, p) => n + p.old.length + p.nw.length, 0) ?? 0;
  const scans = pairs?.reduce((n, p) => n + splitPoints(p.nw.length).length - 1, 0) ?? 0;
  if (!pairs || scans < 2 || total < MIN_PARALLEL_BYTES) {
    stopDiffWorker(started);
    return undefined;
  }
  const worker = started ?? startDiffWorker();
  // diffOnTwoThreads stops the worker when it is done.
  const run = worker !== undefined && diffOnTwoThreads(pairs, worker);
  const twoThreads = run !== false;
  if (!twoThreads) for (const p of pairs) p.streams = splitBsdiff(p.old, p.nw);
  const byLength = new Map<string, Pair[]>();
  for (const p of pairs) {
    const key = `${p.old.length}:${p.nw.length}`;
    byLength.set(key, [...(byLength.get(key) ?? []), p]);
  }
  const port: DiffPort = (old, nw) => {
    const hit = byLength
      .get(`${old.length}:${nw.length}`)
      ?.find((p) => sameView(p.old, old) && sameView(p.nw, nw));
    return hit?.streams ?? splitBsdiff(old, nw);
  };
  return { port, threads: twoThreads ? 2 : 1, workerDied: run === 'worker-died' };
}
