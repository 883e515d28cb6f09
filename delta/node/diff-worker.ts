// A diff worker thread (see parallel-diff.ts): takes tasks from the shared board (diff-tasks.ts)
// alongside the main thread and posts each finished diff as it goes. The main thread, blocked
// in Atomics.wait (createPatchFile is synchronous), reads the answers with
// receiveMessageOnPort once the board's `done` words say they exist.
import { type MessagePort, workerData } from 'node:worker_threads';
import { type Board, linuxThreadId, release, runTasks, WORKER } from './diff-tasks.js';

/** Controls as flat (add, copy, seek) triples: one transferable array instead of objects. */
export interface DiffAnswer {
  readonly task: number;
  readonly controls: Float64Array;
  readonly diff: Uint8Array;
  readonly extra: Uint8Array;
}

const { port, thread } = (workerData ?? {}) as { port?: MessagePort; thread?: Int32Array };

// Said before any task is claimed: the main thread, blocked, checks that this thread still runs.
if (thread) Atomics.store(thread, 0, linuxThreadId());

// Test hook (parallel-diff.int.test.ts), unset in production: the thread exits outright as it
// finishes its Nth diff, that task still claimed and not done, as a thread out of memory would.
const exitAt = Number(process.env.ALOFT_TEST_DIFF_WORKER_EXIT_AT) || 0;
let finished = 0;

// Started while the main thread still reads its inputs; the board comes once it has planned.
port?.once('message', (board: Board) => {
  try {
    runTasks(board, WORKER, (task, s) => {
      if (++finished === exitAt) process.exit(70);
      const controls = new Float64Array(s.controls.length * 3);
      s.controls.forEach((c, i) => {
        controls[i * 3] = c.add;
        controls[i * 3 + 1] = c.copy;
        controls[i * 3 + 2] = c.seek;
      });
      // diff is a view into a NEW-sized scratch buffer: send only its bytes.
      const diff = s.diff.slice();
      const answer: DiffAnswer = { task, controls, diff, extra: s.extra };
      port.postMessage(answer, [controls.buffer, diff.buffer, s.extra.buffer as ArrayBuffer]);
    });
  } catch {
    // Say so through the board (the main thread is blocked in Atomics.wait, not listening):
    // it takes back what this thread held.
    release(board, WORKER);
  }
  port.close();
});
