import type { Backend, FunctionSpec, StdinSource } from './backend.js';
import { LocalBackend } from './backends/local.js';
import { collect } from './collect.js';
import { FunctionError, FunctionExitError } from './errors.js';
import { functionLabels } from './labels.js';

export interface RunOptions extends Omit<FunctionSpec, 'image' | 'args'> {
  /** Bytes for the container's stdin; without it stdin is empty. */
  stdin?: StdinSource;
  /** Kill and remove the container after this many milliseconds (rejects with FN_TIMEOUT). */
  timeoutMs?: number;
  /** Maximum stdout size in bytes (rejects with FN_OUTPUT_LIMIT); default 16 MiB. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Where to run: default a fresh container on the local engine. */
  backend?: Backend;
  /** Value of the io.aloft.functions label (default "run"). */
  scope?: string;
}

export const DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024;

const defaultBackend = new LocalBackend();

export function toSpec(image: string, args: string[], options: RunOptions): FunctionSpec {
  if (!image)
    throw new FunctionError('FN_BAD_OPTION', 'no image given: run(image, args) needs an image name');
  const { stdin: _s, timeoutMs: _t, maxOutputBytes: _m, signal: _g, backend: _b, scope, ...spec } = options;
  return { ...spec, image, args, labels: functionLabels(scope ?? 'run', options.labels) };
}

/**
 * Runs `image` with `args` like a function call and resolves to its stdout. A non-zero exit
 * rejects with FunctionExitError (exit code, stdout, stderr). The container is removed in every
 * case: success, failure, timeout and abort.
 */
export async function run(image: string, args: string[] = [], options: RunOptions = {}): Promise<Buffer> {
  const spec = toSpec(image, args, options);
  options.signal?.throwIfAborted();
  const execution = await (options.backend ?? defaultBackend).start(spec, options.stdin);
  const result = await collect(execution, image, {
    timeoutMs: options.timeoutMs,
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT,
    signal: options.signal,
  });
  if (result.exitCode !== 0)
    throw new FunctionExitError(result.exitCode, result.stdout, result.stderr, image);
  return result.stdout;
}

/** run(), decoded as UTF-8. */
export async function runText(image: string, args: string[] = [], options: RunOptions = {}): Promise<string> {
  return (await run(image, args, options)).toString('utf8');
}
