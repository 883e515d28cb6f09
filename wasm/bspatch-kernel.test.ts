// The bspatch kernel (wasm/kernels/bspatch.c behind delta/core's BspatchKernel port) inside the
// shipped component: hand-made entries whose controls jump across OLD's 1 MiB pages rebuild the
// Node path's bytes, and control lists that fail any of delta/core's checks fail with the Node
// path's code and message (the kernel refuses them and apply takes delta/core's loop), leaving
// the engine usable.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BsdiffControl } from '../delta/core/bsdiff/index.js';
import { referenceBspatch } from '../delta/core/bsdiff/testing/reference-patch.js';
import { FORMAT_VERSION } from '../delta/core/patch/format.js';
import { OP_BSDIFF } from '../delta/core/patch/table.js';
import { noise } from '../delta/node/testing/fixtures.js';
import { applyInMemory, assemble, controls, digestOf, table } from '../delta/node/testing/patch.js';
import { componentDelta, type DeltaEngine } from './adapters.js';
import { loadComponent } from './host.js';

let kernels: DeltaEngine;
beforeAll(async () => {
  kernels = componentDelta(await loadComponent('qjs-kernels'));
}, 240_000);

const old = noise(3 << 20, 21);
const bytesOf = (b: Uint8Array) => ({ size: b.length, read: (o: number, n: number) => b.subarray(o, o + n) });

/** A `file` patch of one bsdiff entry: NEW is what the controls make from OLD, diff and extra. */
function entry(
  list: BsdiffControl[] | Uint8Array,
  diff: Uint8Array,
  extra: Uint8Array,
  size: number,
  hostile = false,
) {
  const ctrl = list instanceof Uint8Array ? list : controls(list);
  const nw =
    hostile || list instanceof Uint8Array ? new Uint8Array(size) : referenceBspatch(old, list, diff, extra);
  const t = table({
    meta: { op: 'literal', size: 0 },
    items: [
      {
        op: OP_BSDIFF,
        metaBefore: 0,
        oldIndex: 0,
        size,
        ctrl: ctrl.length,
        diff: diff.length,
        extra: extra.length,
        sha256: createHash('sha256').update(nw).digest().subarray(0, 8),
      },
    ],
  });
  const head = {
    version: FORMAT_VERSION,
    kind: 'file' as const,
    source: digestOf(old),
    target: { ...digestOf(nw), size },
    oldLayout: { size: old.length, regions: 1, metaSize: 0 },
  };
  return { patch: assemble(head, { table: t, ctrl, diff, extra }), nw };
}

function inComponent(patch: Uint8Array): Buffer {
  const parts: Uint8Array[] = [];
  kernels.apply(bytesOf(old), bytesOf(patch), (c) => parts.push(c.slice()));
  return Buffer.concat(parts);
}

function failure(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  return { code: 'no error', message: '' };
}

/** Controls that jump back and forth over OLD's pages, with short and long runs. */
function jumping(): BsdiffControl[] {
  const list: BsdiffControl[] = [];
  let pos = 0;
  for (let i = 0; i < 400; i++) {
    const add = i % 37 === 0 ? 70_000 + i : 40 + ((i * 7919) % 900);
    const copy = i % 5 === 0 ? (i * 31) % 200 : 0;
    // Targets spread over the whole 3 MiB, so runs start in every page and cross page ends.
    const target = (i * 2_654_435_761) % (old.length - 80_000);
    const seek = i === 399 ? 0 : target - (pos + add);
    list.push({ add, copy, seek });
    pos += add + seek;
  }
  return list;
}

describe('the bspatch kernel in the component', () => {
  it('rebuilds entries whose controls jump across OLD pages like the Node path', () => {
    const list = jumping();
    const adds = list.reduce((n, c) => n + c.add, 0);
    const copies = list.reduce((n, c) => n + c.copy, 0);
    const { patch, nw } = entry(list, noise(adds, 5), noise(copies, 6), adds + copies);
    expect(Buffer.from(applyInMemory(old, patch)).equals(Buffer.from(nw))).toBe(true);
    expect(inComponent(patch).equals(Buffer.from(nw))).toBe(true);
  });

  it('takes zero-length controls before the first byte and after the last (no endless run)', () => {
    const list: BsdiffControl[] = [
      { add: 0, copy: 0, seek: 100 },
      { add: 3000, copy: 96, seek: -50 },
      { add: 1000, copy: 0, seek: 7 },
      { add: 0, copy: 0, seek: 9 },
      { add: 0, copy: 0, seek: 0 },
    ];
    const { patch, nw } = entry(list, noise(4000, 7), noise(96, 8), 4096);
    expect(Buffer.from(applyInMemory(old, patch)).equals(Buffer.from(nw))).toBe(true);
    expect(inComponent(patch).equals(Buffer.from(nw))).toBe(true);
  });

  it('refuses bad control lists with the Node path code and message, and stays usable', () => {
    const size = 4096;
    const cases: (BsdiffControl[] | Uint8Array)[] = [
      [{ add: 2 ** 53 - 1, copy: 0, seek: 0 }],
      [
        { add: 10, copy: 0, seek: -(2 ** 51) },
        { add: 10, copy: 0, seek: 0 },
      ],
      [
        { add: 0, copy: 0, seek: -(2 ** 52 - 1) },
        { add: 0, copy: 0, seek: -(2 ** 52 - 1) },
        { add: 0, copy: 0, seek: -(2 ** 52 - 1) },
      ],
      [{ add: 0, copy: 5000, seek: 0 }],
      [
        { add: 4000, copy: 0, seek: 2 ** 40 },
        { add: 96, copy: 0, seek: 0 },
      ],
      [{ add: 4096, copy: 0, seek: 0 }].map((c) => ({ ...c, add: c.add - 1 })),
      [
        { add: 10, copy: 0, seek: -20 },
        { add: 4086, copy: 0, seek: 0 },
      ],
      [
        { add: 10, copy: 0, seek: old.length },
        { add: 4086, copy: 0, seek: 0 },
      ],
      // Raw lists: truncated, a non-minimal varint, trailing bytes, more entries than bytes,
      // a value above 2^53, a varint longer than 8 bytes, a count above the limit.
      Uint8Array.of(1, 0x80),
      Uint8Array.of(1, 0x80, 0x00, 0, 0),
      Uint8Array.of(1, 0x80, 0x20, 0, 0, 7),
      Uint8Array.of(5, 1, 1, 1),
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0),
      Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0),
      Uint8Array.of(0xff, 0xff, 0x7f, 0, 0, 0),
    ];
    const good = entry([{ add: size, copy: 0, seek: 0 }], noise(size, 9), new Uint8Array(0), size);
    for (const list of cases) {
      const diff = new Uint8Array(list instanceof Uint8Array ? size : Math.min(size, list[0].add));
      const extra = new Uint8Array(list instanceof Uint8Array ? 0 : Math.min(size, list[0].copy));
      const { patch } = entry(list, diff, extra, size, true);
      const node = failure(() => applyInMemory(old, patch));
      expect(node.code, node.message).toMatch(/^DELTA_/);
      expect(failure(() => inComponent(patch))).toEqual(node);
      expect(inComponent(good.patch).equals(Buffer.from(good.nw))).toBe(true);
    }
  });
});
