// The diff work of one create as tasks that two threads take from a shared list (this module
// runs on both: parallel-diff.ts on the main thread, diff-worker.ts on the worker). A changed
// file below SPLIT_MIN_BYTES is one task; a bigger one is three: its OLD's suffix array (built
// into shared memory), then its NEW's two halves, scanned against that array by whichever
// thread is free (splitBsdiff's cut, so the patch bytes do not depend on who did what).
// A thread claims a task with a compare-and-swap on its word in `claims`; `done` words and
// the `ready` count tell the other thread when a suffix array or a task is finished. A thread
// that dies outright tells no one: the main thread sees its Linux thread end (threadGone).
import { existsSync, readlinkSync } from 'node:fs';
import {
  type BsdiffStreams,
  bsdiff,
  bsdiffScan,
  indexOld,
  inverse,
  type OldIndex,
  splitPoints,
  suffixArray,
} from '../core/bsdiff/index.js';

export const TASK_WHOLE = 0;
export const TASK_INDEX = 1;
export const TASK_PART = 2;

export interface Task {
  readonly kind: typeof TASK_WHOLE | typeof TASK_INDEX | typeof TASK_PART;
  readonly pair: number;
  /** TASK_PART: the NEW range. */
  readonly from: number;
  readonly to: number;
}

/** One changed file, its bytes inside the shared `data` buffer. */
export interface PairSpec {
  readonly oldAt: number;
  readonly oldSize: number;
  readonly newAt: number;
  readonly newSize: number;
  /** Split pairs: OLD's suffix array and its inverse (filled when built), shared by both threads. */
  readonly sa?: SharedArrayBuffer;
  readonly rank?: SharedArrayBuffer;
}

/** All a thread needs: structured-clonable, the buffers shared, not copied. */
export interface Board {
  readonly data: SharedArrayBuffer;
  readonly pairs: readonly PairSpec[];
  readonly tasks: readonly Task[];
  /** Per task: 0 free, else the claiming thread (1 main, 2 worker). */
  readonly claims: Int32Array;
  /** Per task: 1 once its result exists (for a TASK_INDEX, once the suffix array is filled). */
  readonly done: Int32Array;
  /** Per pair: 0 no inverse, 1 being built, 2 built. */
  readonly rankState: Int32Array;
  /** [0]: finished tasks, notified on every change (what a waiting thread sleeps on). */
  readonly ready: Int32Array;
}

export const MAIN = 1;
export const WORKER = 2;

/** The task list: suffix arrays first (largest first), then scans and whole diffs, largest first. */
export function planTasks(pairs: readonly { oldSize: number; newSize: number }[]): Task[] {
  const index: Task[] = [];
  const scans: (Task & { cost: number })[] = [];
  pairs.forEach((p, pair) => {
    const cuts = splitPoints(p.newSize);
    if (cuts.length === 2) {
      scans.push({ kind: TASK_WHOLE, pair, from: 0, to: p.newSize, cost: p.oldSize + p.newSize });
      return;
    }
    index.push({ kind: TASK_INDEX, pair, from: 0, to: 0 });
    for (let k = 0; k + 1 < cuts.length; k++)
      scans.push({ kind: TASK_PART, pair, from: cuts[k], to: cuts[k + 1], cost: cuts[k + 1] - cuts[k] });
  });
  index.sort((a, b) => pairs[b.pair].oldSize - pairs[a.pair].oldSize);
  scans.sort((a, b) => b.cost - a.cost);
  return [...index, ...scans.map(({ cost: _, ...t }) => t)];
}

/** Index of the TASK_INDEX of a pair (parts wait for it). */
const indexTaskOf = (board: Board, pair: number): number =>
  board.tasks.findIndex((t) => t.kind === TASK_INDEX && t.pair === pair);

const notify = (board: Board) => {
  Atomics.add(board.ready, 0, 1);
  Atomics.notify(board.ready, 0);
};

/** Views of one pair's bytes, OLD's index (made on first use on this thread) and rank port. */
class PairViews {
  private idx?: OldIndex;
  constructor(
    private readonly board: Board,
    private readonly pair: number,
  ) {}
  get spec(): PairSpec {
    return this.board.pairs[this.pair];
  }
  get old(): Uint8Array {
    return new Uint8Array(this.board.data, this.spec.oldAt, this.spec.oldSize);
  }
  get nw(): Uint8Array {
    return new Uint8Array(this.board.data, this.spec.newAt, this.spec.newSize);
  }
  sa(): Int32Array {
    return new Int32Array(this.spec.sa as SharedArrayBuffer);
  }
  /** The bucket tables are per thread (256 KiB, one pass over OLD); the suffix array is shared. */
  index(): OldIndex {
    this.idx ??= indexOld(this.old, this.sa());
    return this.idx;
  }
  /** The inverse is built once, by the first scan that wants it; the other scan goes on without. */
  rank = (build: boolean): Int32Array | undefined => {
    // Asked at every search while the other thread builds it: no allocation on that path.
    const state = this.board.rankState;
    if (Atomics.load(state, this.pair) === 2) return new Int32Array(this.spec.rank as SharedArrayBuffer);
    if (!build || Atomics.compareExchange(state, this.pair, 0, 1) !== 0) return undefined;
    const view = inverse(this.sa(), new Int32Array(this.spec.rank as SharedArrayBuffer));
    Atomics.store(state, this.pair, 2);
    return view;
  };
}

/**
 * Takes and runs tasks until none is left to claim; `result` receives each finished scan or
 * whole diff (not suffix arrays). Parts whose suffix array the other thread still builds are
 * waited for: when `peerGone` says that thread died, its unfinished tasks are taken back and
 * run here; past `maxWaitMs` without progress (alive but stuck) false, true once every task is
 * claimed and this thread's are finished.
 */
export function runTasks(
  board: Board,
  me: number,
  result: (task: number, s: BsdiffStreams) => void,
  maxWaitMs = Number.POSITIVE_INFINITY,
  peerGone: () => boolean = () => false,
): boolean {
  const views = board.pairs.map((_, i) => new PairViews(board, i));
  const indexTask = board.tasks.map((t) => (t.kind === TASK_PART ? indexTaskOf(board, t.pair) : -1));
  let idleSince = performance.now();
  for (;;) {
    const seen = Atomics.load(board.ready, 0);
    let waiting = false;
    let ran = false;
    for (let i = 0; i < board.tasks.length && !ran; i++) {
      if (Atomics.load(board.claims, i) !== 0) continue;
      const t = board.tasks[i];
      if (t.kind === TASK_PART && Atomics.load(board.done, indexTask[i]) !== 1) {
        waiting = true;
        continue;
      }
      if (Atomics.compareExchange(board.claims, i, 0, me) !== 0) continue;
      ran = true;
      const v = views[t.pair];
      if (t.kind === TASK_INDEX) suffixArray(v.old, v.sa());
      else if (t.kind === TASK_PART)
        result(i, bsdiffScan(v.old, v.index(), v.nw.subarray(t.from, t.to), { rank: v.rank }));
      else result(i, bsdiff(v.old, v.nw));
      Atomics.store(board.done, i, 1);
      notify(board);
    }
    if (ran) {
      idleSince = performance.now();
      continue;
    }
    if (!waiting) return true;
    if (Atomics.load(board.ready, 0) === seen && performance.now() - idleSince > maxWaitMs) return false;
    if (Atomics.wait(board.ready, 0, seen, 50) !== 'timed-out') idleSince = performance.now();
    // Checked once per quiet 50 ms: a dead thread notifies no one.
    else if (peerGone()) release(board, me === MAIN ? WORKER : MAIN);
  }
}

/**
 * Gives back the tasks `me` claimed but did not finish, for the other thread to take: called by
 * a thread that failed, or for one that died. An inverse left half-built is freed to be built
 * again (if the other thread is the one building it, it still finishes and marks it built).
 */
export function release(board: Board, me: number): void {
  for (let i = 0; i < board.tasks.length; i++)
    if (Atomics.load(board.claims, i) === me && Atomics.load(board.done, i) !== 1)
      Atomics.store(board.claims, i, 0);
  for (let p = 0; p < board.pairs.length; p++) Atomics.compareExchange(board.rankState, p, 1, 0);
  notify(board);
}

/** This thread's Linux id (/proc/thread-self is "<pid>/task/<tid>"); 0 without /proc. */
export function linuxThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

/**
 * Whether the thread whose Linux id is in thread[0] has ended (process.exit in it, an uncaught
 * error, out of memory, terminate()). A worker's 'exit' event comes on the event loop, which
 * does not run while this thread waits in Atomics.wait; the thread's /proc/self/task entry goes
 * the moment it ends. Id 0 (not said yet, or no /proc): never gone.
 */
export function threadGone(thread: Int32Array): boolean {
  const id = Atomics.load(thread, 0);
  return id > 0 && !existsSync(`/proc/self/task/${id}`);
}
