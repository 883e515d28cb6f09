import { writeSync } from 'node:fs';
import { type CreateInput, type CreateStats, createPatch } from '../core/index.js';
import { zstdCompress } from './compress.js';
import { inFile } from './errors.js';
import { nodeSha256 } from './hash.js';
import { loadInput } from './input.js';
import { defaultDiffWorkers, diffAhead, startDiffWorker, stopDiffWorker } from './parallel-diff.js';
import { TempFile } from './temp-file.js';

export interface CreateOptions {
  /** 'file' diffs the whole input even when it is a tar. */
  readonly mode?: 'auto' | 'file';
  readonly progress?: (done: number, total: number) => void;
  /** Extra threads diffing changed files ahead (0 or 1; default 1 on a multi-core machine). */
  readonly workers?: number;
}

export interface CreateSummary {
  readonly format: 'aloft';
  readonly kind: 'tar' | 'file';
  readonly oldSize: number;
  readonly newSize: number;
  /** Size of the rebuilt output (NEW uncompressed when NEW is gzip). */
  readonly targetSize: number;
  readonly newGzip: boolean;
  readonly patchSize: number;
  readonly seconds: number;
  /** patch bytes / NEW bytes. */
  readonly ratio: number;
  /** Threads that diffed changed files (2 when a worker took part). */
  readonly diffThreads: number;
  /** The diff worker died on the way (this thread diffed what it held: the same patch). */
  readonly diffWorkerDied: boolean;
  readonly stats: CreateStats;
}

/** delta create: OLD and NEW files to a patch file, written to a temp file then renamed. */
export function createPatchFile(
  oldPath: string,
  newPath: string,
  patchPath: string,
  options: CreateOptions = {},
): CreateSummary {
  const started = performance.now();
  // The diff worker starts now, so that it is up by the time the inputs are read and planned.
  const worker = (options.workers ?? defaultDiffWorkers()) >= 1 ? startDiffWorker() : undefined;
  let old: ReturnType<typeof loadInput>;
  let nw: ReturnType<typeof loadInput>;
  try {
    old = loadInput(oldPath);
  } catch (e) {
    stopDiffWorker(worker);
    throw inFile('OLD', oldPath, e);
  }
  try {
    nw = loadInput(newPath);
  } catch (e) {
    stopDiffWorker(worker);
    throw inFile('NEW', newPath, e);
  }
  const input: CreateInput = {
    old: old.bytes,
    new: nw.bytes,
    source: old.digest,
    newGzip: nw.digest.gzip,
    sha256: nodeSha256,
    compress: zstdCompress,
    mode: options.mode,
  };
  const ahead = diffAhead(input, options.workers, worker);
  const result = createPatch({ ...input, bsdiff: ahead?.port, progress: options.progress });
  const out = new TempFile(patchPath);
  try {
    for (const part of result.parts) writeSync(out.fd, part);
    out.commit();
  } catch (e) {
    throw inFile('PATCH', patchPath, e);
  } finally {
    out.discard();
  }
  return {
    format: 'aloft',
    kind: result.head.kind,
    oldSize: old.digest.size,
    newSize: nw.digest.size,
    targetSize: nw.bytes.length,
    newGzip: nw.digest.gzip,
    patchSize: result.size,
    seconds: (performance.now() - started) / 1000,
    ratio: nw.digest.size ? result.size / nw.digest.size : 0,
    diffThreads: ahead?.threads ?? 1,
    diffWorkerDied: ahead?.workerDied ?? false,
    stats: result.stats,
  };
}
