// Classic BSDIFF40 patches (Debian's bsdiff/bspatch), through the kernel's BSDIFF40 codec in
// delta/node/bsdiff40. They cover whole files only and carry no digests.
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { bsdiff, bspatchChunks, isBsdiffError } from '../core/bsdiff/index.js';
import { DeltaError } from '../core/index.js';
import { inFile } from './errors.js';
import { TempFile } from './temp-file.js';
import { WriteBuffer } from './write-buffer.js';

// Loaded lazily: only BSDIFF40 work pays for the bzip2 codec.
const loadBsdiff40 = () => import('./bsdiff40/index.js');

export function isClassicPatchFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw inFile('PATCH', path, e);
  }
  try {
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    return n === 8 && String.fromCharCode(...head) === 'BSDIFF40';
  } finally {
    closeSync(fd);
  }
}

const read = (label: string, path: string) => {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw inFile(label, path, e);
  }
};

export async function createClassicPatchFile(oldPath: string, newPath: string, patchPath: string) {
  const started = performance.now();
  const { writeBsdiff40 } = await loadBsdiff40();
  const old = read('OLD', oldPath);
  const nw = read('NEW', newPath);
  const patch = await writeBsdiff40(bsdiff(old, nw), nw.length);
  const out = new TempFile(patchPath);
  try {
    writeSync(out.fd, patch);
    out.commit();
  } finally {
    out.discard();
  }
  return {
    format: 'bsdiff40' as const,
    oldSize: old.length,
    newSize: nw.length,
    patchSize: patch.length,
    seconds: (performance.now() - started) / 1000,
    ratio: nw.length ? patch.length / nw.length : 0,
  };
}

const decode = async (patchPath: string, bytes: Uint8Array) => {
  const { readBsdiff40 } = await loadBsdiff40();
  try {
    return await readBsdiff40(bytes);
  } catch (e) {
    if (isBsdiffError(e)) throw new DeltaError('DELTA_PATCH_INVALID', `PATCH ${patchPath}: ${e.message}`);
    throw e;
  }
};

export async function applyClassicPatchFile(oldPath: string, patchPath: string, outPath: string) {
  const started = performance.now();
  const old = read('OLD', oldPath);
  const { streams, newSize } = await decode(patchPath, read('PATCH', patchPath));
  const out = new TempFile(outPath);
  try {
    const writer = new WriteBuffer(out.fd);
    try {
      bspatchChunks(old, streams, newSize, (c) => writer.write(c));
    } catch (e) {
      if (isBsdiffError(e)) throw new DeltaError('DELTA_PATCH_INVALID', `PATCH ${patchPath}: ${e.message}`);
      throw e;
    }
    writer.flush();
    out.commit();
  } finally {
    out.discard();
  }
  return {
    format: 'bsdiff40' as const,
    oldSize: old.length,
    outSize: newSize,
    seconds: (performance.now() - started) / 1000,
  };
}

export async function describeClassicPatch(path: string) {
  const bytes = read('PATCH', path);
  const { newSize } = await decode(path, bytes);
  return { format: 'bsdiff40' as const, patchSize: bytes.length, target: { size: newSize } };
}
