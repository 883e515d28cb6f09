// A diff worker thread (see parallel-diff.ts): takes one batch of (old, new) pairs, answers
// with their bsdiff streams, and flags the shared state so a main thread blocked in
// Atomics.wait (createPatchFile is synchronous) wakes up and reads the answer with
// receiveMessageOnPort.
import { type MessagePort, workerData } from 'node:worker_threads';
import { bsdiff } from '../core/bsdiff/index.js';

export interface DiffJob {
  readonly old: Uint8Array;
  readonly nw: Uint8Array;
}

/** Controls as flat (add, copy, seek) triples: one transferable array instead of objects. */
export interface DiffAnswer {
  readonly controls: Float64Array;
  readonly diff: Uint8Array;
  readonly extra: Uint8Array;
}

export const STATE_IDLE = 0;
export const STATE_BUSY = 1;
export const STATE_DONE = 2;

const { port, state } = (workerData ?? {}) as { port?: MessagePort; state?: Int32Array };

const signal = (value: number) => {
  if (!state) return;
  Atomics.store(state, 0, value);
  Atomics.notify(state, 0);
};

port?.on('message', (jobs: DiffJob[]) => {
  signal(STATE_BUSY);
  try {
    const answers: DiffAnswer[] = [];
    const transfer: ArrayBuffer[] = [];
    for (const job of jobs) {
      const s = bsdiff(job.old, job.nw);
      const controls = new Float64Array(s.controls.length * 3);
      s.controls.forEach((c, i) => {
        controls[i * 3] = c.add;
        controls[i * 3 + 1] = c.copy;
        controls[i * 3 + 2] = c.seek;
      });
      const diff = s.diff.slice();
      answers.push({ controls, diff, extra: s.extra });
      transfer.push(controls.buffer, diff.buffer, s.extra.buffer as ArrayBuffer);
    }
    port.postMessage({ answers }, transfer);
  } catch (e) {
    port.postMessage({ error: (e as Error).message });
  }
  signal(STATE_DONE);
  port.close();
});
