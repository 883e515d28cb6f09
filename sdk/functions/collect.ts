import type { Execution } from './backend.js';
import { FunctionError } from './errors.js';

export interface CollectLimits {
  /** Kill the container after this many milliseconds (FN_TIMEOUT). */
  timeoutMs?: number;
  /** Kill the container once stdout grows past this many bytes (FN_OUTPUT_LIMIT). */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Sees every stdout chunk as it comes; may throw to stop the run (the error is re-thrown). */
  onStdout?: (chunk: Buffer) => void;
}

export interface Collected {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** Stderr beyond this is dropped: it is for error messages, not data. */
const STDERR_LIMIT = 1024 * 1024;

/**
 * Waits for an execution while enforcing the time, size and abort limits. The container is
 * always disposed before this settles, whatever the outcome.
 */
export async function collect(
  execution: Execution,
  image: string,
  limits: CollectLimits = {},
): Promise<Collected> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outSize = 0;
  let errSize = 0;
  let failure: Error | undefined;
  let fail: (e: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = (e) => {
      failure ??= e;
      reject(failure);
    };
  });
  failed.catch(() => undefined);
  execution.stdout.on('data', (chunk: Buffer) => {
    if (failure) return;
    outSize += chunk.length;
    if (limits.maxOutputBytes !== undefined && outSize > limits.maxOutputBytes) {
      fail(
        new FunctionError(
          'FN_OUTPUT_LIMIT',
          `${image} wrote more than ${limits.maxOutputBytes} bytes to stdout: raise the output limit or write less`,
        ),
      );
      return;
    }
    try {
      limits.onStdout?.(chunk);
    } catch (e) {
      fail(e as Error);
      return;
    }
    if (!limits.onStdout) out.push(chunk);
  });
  execution.stderr.on('data', (chunk: Buffer) => {
    if (errSize >= STDERR_LIMIT) return;
    errSize += chunk.length;
    err.push(chunk);
  });
  const timer =
    limits.timeoutMs !== undefined
      ? setTimeout(
          () =>
            fail(
              new FunctionError(
                'FN_TIMEOUT',
                `${image} ran longer than ${limits.timeoutMs} ms and was killed: raise the timeout or make it faster`,
              ),
            ),
          limits.timeoutMs,
        )
      : undefined;
  const onAbort = () =>
    fail(new FunctionError('FN_ABORTED', `the run of ${image} was aborted and its container removed`));
  if (limits.signal?.aborted) onAbort();
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const exitCode = await Promise.race([execution.exit, failed]);
    return { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  } finally {
    if (timer) clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
    await execution.dispose();
  }
}
