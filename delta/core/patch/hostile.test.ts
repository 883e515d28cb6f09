import { describe, expect, it } from 'vitest';
import { compress } from 'zstd-napi';
import { noise } from '../../node/testing/fixtures.js';
import { applyInMemory, assemble, controls, digestOf, makePatch, table } from '../../node/testing/patch.js';
import { isDeltaError } from '../errors.js';
import { FORMAT_VERSION } from './format.js';
import { OP_BSDIFF, OP_LITERAL, OP_REF } from './table.js';

const old = noise(4096, 11);
const nw = Uint8Array.from(old, (b, i) => (i % 97 === 0 ? b + 1 : b));
const base = (over: Partial<{ targetSize: number; kind: 'tar' | 'file' }> = {}) => ({
  version: FORMAT_VERSION,
  kind: over.kind ?? ('file' as const),
  source: digestOf(old),
  target: { ...digestOf(nw), size: over.targetSize ?? nw.length },
  oldLayout: { size: old.length, regions: 1, metaSize: 0 },
});

const expectDeltaError = (f: () => unknown, code?: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isDeltaError(err), String(err)).toBe(true);
  if (code) expect((err as { code: string }).code).toMatch(code);
  return err as Error;
};

describe('apply refuses hostile patches with a DeltaError, in bounded time and memory', () => {
  it('a real patch applies', () => {
    expect(applyInMemory(old, makePatch(old, nw))).toEqual(nw);
  });

  it('every truncation is an error', () => {
    const p = makePatch(old, nw);
    for (let n = 0; n < p.length; n++) expectDeltaError(() => applyInMemory(old, p.subarray(0, n)));
  });

  it('a huge declared target size is refused before any work', () => {
    const p = assemble(base({ targetSize: 2 ** 50 }), {});
    expectDeltaError(() => applyInMemory(old, p), /TOO_LARGE/);
  });

  it('a decompression bomb stops at the declared size', () => {
    const bomb = new Uint8Array(
      compress(new Uint8Array(16 << 20), { compressionLevel: 1, windowLog: 20, contentSizeFlag: false }),
    );
    expect(bomb.length).toBeLessThan(16 << 10);
    const t = table({
      meta: { op: 'literal', size: 0 },
      items: [{ op: OP_LITERAL, metaBefore: 0, size: 100, sha256: new Uint8Array(8) }],
    });
    const p = assemble(base({ targetSize: 100 }), { table: t, lit: { zstd: bomb, rawSize: 100 } });
    const e = expectDeltaError(() => applyInMemory(old, p));
    expect(e.message).toMatch(/more than its declared size|bytes left unused|sha256/);
  });

  it('a zstd frame asking for a 2 GiB window is refused before decoding', () => {
    const frame = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (21 << 3) | 0, 1, 0, 0]);
    const t = table({
      meta: { op: 'literal', size: 0 },
      items: [{ op: OP_LITERAL, metaBefore: 0, size: 10, sha256: new Uint8Array(8) }],
    });
    const p = assemble(base({ targetSize: 10 }), { table: t, lit: { zstd: frame, rawSize: 10 } });
    const e = expectDeltaError(() => applyInMemory(old, p), /DECOMPRESS/);
    expect(e.message).toMatch(/window/);
  });

  it('overflowing and out-of-range control values are refused', () => {
    for (const c of [
      [{ add: 2 ** 53 - 1, copy: 0, seek: 0 }],
      [
        { add: 10, copy: 0, seek: -(2 ** 51) },
        { add: 10, copy: 0, seek: 0 },
      ],
      [{ add: 0, copy: 5000, seek: 0 }],
      [
        { add: 4000, copy: 0, seek: 2 ** 40 },
        { add: 96, copy: 0, seek: 0 },
      ],
    ]) {
      const ctrl = controls(c);
      const t = table({
        meta: { op: 'literal', size: 0 },
        items: [
          {
            op: OP_BSDIFF,
            metaBefore: 0,
            oldIndex: 0,
            size: 4096,
            ctrl: ctrl.length,
            diff: 4096,
            extra: 0,
            sha256: new Uint8Array(8),
          },
        ],
      });
      const p = assemble(base({ targetSize: 4096 }), { table: t, ctrl, diff: new Uint8Array(4096) });
      expectDeltaError(() => applyInMemory(old, p), /PATCH_INVALID/);
    }
  });

  it('references to old files that do not exist are refused', () => {
    const t = table({
      meta: { op: 'literal', size: 0 },
      items: [{ op: OP_REF, metaBefore: 0, oldIndex: 5 }],
    });
    expectDeltaError(() => applyInMemory(old, assemble(base(), { table: t })), /PATCH_INVALID/);
  });

  it('a file that rebuilds to other bytes is an output mismatch, not a silent file', () => {
    const t = table({
      meta: { op: 'literal', size: 0 },
      items: [{ op: OP_REF, metaBefore: 0, oldIndex: 0 }],
    });
    const p = assemble({ ...base(), target: { ...digestOf(nw), size: old.length } }, { table: t });
    expectDeltaError(() => applyInMemory(old, p), /OUTPUT_MISMATCH/);
  });

  it('another format version is refused by name', () => {
    const p = assemble({ ...base(), version: 99 }, {});
    expectDeltaError(() => applyInMemory(old, p), /VERSION/);
  });

  it('a patch for another OLD is refused', () => {
    const p = makePatch(old, nw);
    expectDeltaError(() => applyInMemory(noise(4000, 3), p), /SOURCE_MISMATCH/);
  });
});
