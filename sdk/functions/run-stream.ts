import type { Backend } from './backend.js';
import { LocalBackend } from './backends/local.js';
import { collect } from './collect.js';
import { FunctionExitError } from './errors.js';
import { type RunOptions, toSpec } from './run.js';

const defaultBackend: Backend = new LocalBackend();

export interface StreamOptions extends RunOptions {
  /** Sees stderr as it comes (default: kept, and attached to a FunctionExitError). */
  onStderr?: (chunk: Buffer) => void;
}

/**
 * Like run(), but yields stdout as the container writes it. After the last chunk it throws
 * FunctionExitError if the exit code was not 0. Leaving the loop early (break, throw) kills
 * and removes the container.
 */
export async function* runStream(
  image: string,
  args: string[] = [],
  options: StreamOptions = {},
): AsyncGenerator<Buffer, number, undefined> {
  const spec = toSpec(image, args, options);
  options.signal?.throwIfAborted();
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const execution = await (options.backend ?? defaultBackend).start(spec, options.stdin);
  const queue: Buffer[] = [];
  let wake: (() => void) | undefined;
  let stderrSeen: Buffer = Buffer.alloc(0);
  if (options.onStderr) execution.stderr.on('data', options.onStderr);
  const done = collect(execution, image, {
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes,
    signal,
    onStdout: (chunk) => {
      queue.push(chunk);
      wake?.();
    },
  }).then(
    (r) => {
      stderrSeen = r.stderr;
      return r.exitCode;
    },
    (e: unknown) => {
      throw e;
    },
  );
  let settled = false;
  const finished = done.finally(() => {
    settled = true;
    wake?.();
  });
  finished.catch(() => undefined);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift() as Buffer;
      if (settled) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    const exitCode = await finished;
    if (exitCode !== 0) throw new FunctionExitError(exitCode, Buffer.alloc(0), stderrSeen, image);
    return exitCode;
  } finally {
    if (!settled) {
      stop.abort();
      await finished.catch(() => undefined);
    }
  }
}
