import { DeltaError, isDeltaError } from '../core/errors.js';

/** Puts the file a failure is about in front of the message: "PATCH p.aloft: ...". */
export function inFile(label: string, path: string, e: unknown): unknown {
  if (isDeltaError(e)) return new DeltaError(e.code, `${label} ${path}: ${e.message}`);
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall)
    return Object.assign(
      new Error(`${label} ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`),
      { code: err.code },
    );
  return e;
}
