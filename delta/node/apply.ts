import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
// Narrow imports, not core/index.js: apply loads neither create's diffing code nor the image
// model (start-up memory counts against the device's budget).
import { DeltaError, hex, sameBytes } from '../core/errors.js';
import { applyPatch } from '../core/patch/apply.js';
import { decodeHead, type PatchHead } from '../core/patch/format.js';
import { type ApplyLimits, DEFAULT_LIMITS } from '../core/patch/limits.js';
import { inFile } from './errors.js';
import { type FileSource, openFileSource } from './file-source.js';
import { nodeSha256, sha256File } from './hash.js';
import { TempFile } from './temp-file.js';
import { WriteBuffer } from './write-buffer.js';

export interface ApplyOptions {
  readonly limits?: Partial<ApplyLimits>;
  readonly progress?: (done: number, total: number) => void;
}

export interface ApplySummary {
  readonly format: 'aloft';
  readonly kind: PatchHead['kind'];
  readonly oldSize: number;
  readonly patchSize: number;
  readonly outSize: number;
  readonly sha256: string;
  readonly seconds: number;
}

/**
 * delta apply: OLD + PATCH -> OUT. OLD is checked against the patch's source digest first; OUT
 * is written to a temp file beside it, fsynced, and renamed into place only after the whole
 * output's sha256 matched, so a failure never leaves a partial OUT.
 */
export async function applyPatchFile(
  oldPath: string,
  patchPath: string,
  outPath: string,
  options: ApplyOptions = {},
): Promise<ApplySummary> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (about
  // 0.5 MB of peak RSS on a device) for one timestamp.
  const started = process.hrtime.bigint();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  let patch: FileSource;
  try {
    patch = openFileSource(patchPath);
  } catch (e) {
    throw inFile('PATCH', patchPath, e);
  }
  const cleanup: Array<() => void> = [() => patch.close()];
  try {
    let decoded: ReturnType<typeof decodeHead>;
    try {
      decoded = decodeHead(patch, limits);
    } catch (e) {
      throw inFile('PATCH', patchPath, e);
    }
    const { head } = decoded;
    let actual: Awaited<ReturnType<typeof sha256File>>;
    try {
      actual = await sha256File(oldPath);
    } catch (e) {
      throw inFile('OLD', oldPath, e);
    }
    if (actual.size !== head.source.size || !sameBytes(actual.sha256, head.source.sha256))
      throw new DeltaError(
        'DELTA_SOURCE_MISMATCH',
        `OLD ${oldPath} has sha256 ${hex(actual.sha256)} (${actual.size} bytes) but PATCH ${patchPath} was made from sha256 ${hex(head.source.sha256)} (${head.source.size} bytes): pass the file the patch was made from`,
      );
    let layerPath = oldPath;
    if (head.source.gzip) {
      layerPath = join(dirname(outPath), `.aloft-tmp-old-${randomBytes(4).toString('hex')}.tar`);
      cleanup.push(() => rmSync(layerPath, { force: true }));
      const { gunzipToFile } = await import('./input.js');
      await gunzipToFile(oldPath, layerPath);
    }
    const old = openFileSource(layerPath);
    cleanup.push(() => old.close());
    const out = new TempFile(outPath);
    cleanup.push(() => out.discard());
    const writer = new WriteBuffer(out.fd);
    try {
      applyPatch({
        patch,
        old,
        decoded,
        sha256: nodeSha256,
        limits,
        sink: (chunk) => writer.write(chunk),
        progress: options.progress,
      });
    } catch (e) {
      throw inFile('PATCH', patchPath, e);
    }
    writer.flush();
    out.commit();
    return {
      format: 'aloft',
      kind: head.kind,
      oldSize: actual.size,
      patchSize: patch.size,
      outSize: head.target.size,
      sha256: hex(head.target.sha256),
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
  } finally {
    for (const f of cleanup.reverse()) f();
  }
}
