import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceBspatch } from '../delta/core/bsdiff/testing/reference-patch.js';
import { BSPATCH_DONE, BSPATCH_NEED_DIFF, BSPATCH_NEED_EXTRA } from '../delta/core/patch/bspatch-port.js';
import { COPY_META_SHORT, COPY_OK, COPY_OLD_SHORT } from '../delta/core/patch/output-kernel.js';
import { controls } from '../delta/node/testing/patch.js';
import { compileAdapter } from './kernels.mjs';
import { instantiateAdapter } from './testing/adapter.js';
import { noise } from './testing/layers.js';

// The apply-output kernel (wasm/kernels/apply-output.c) driven as the engine drives it, with a
// host `io` in JS: the output must be exactly the plan's meta and OLD bytes and the written pieces,
// in order, whatever their sizes (staged under 64 KiB, sent whole above, OLD read in 1 MiB
// windows), with the SHA-256 of it all. (That it gives OLD's windows back: wasm/delta.test.ts,
// on the composed component's memory.)

interface OutputExports {
  'apply-output-new'(): number;
  'apply-output-begin-file'(self: number): void;
  'apply-output-file-digest'(self: number, retptr: number): void;
  'apply-output-patch'(self: number, entry: number): number;
  'bspatch-new'(): number;
  'bspatch-load'(
    self: number,
    ptr: number,
    len: number,
    maxEntries: number,
    oldSize: number,
    newSize: number,
    diffLen: number,
    extraLen: number,
  ): number;
  'bspatch-feed-diff'(self: number, ptr: number, len: number): void;
  'bspatch-feed-extra'(self: number, ptr: number, len: number): void;
  'bspatch-feed-old'(self: number, page: number, ptr: number, len: number): void;
  'bspatch-next'(self: number): number;
  'apply-output-start'(self: number, ptr: number, len: number, oldSize: number): void;
  'apply-output-write'(self: number, ptr: number, len: number): void;
  'apply-output-copy'(self: number, ptr: number, len: number): number;
  'apply-output-finish'(self: number, retptr: number): void;
}

const OLD = noise(5 << 20, 11);
let k: OutputExports;
let mem: () => Uint8Array;
let top = 1024;
let written: Uint8Array[] = [];
let reads = 0;

let memory: { buffer: ArrayBuffer; grow(n: number): number };
/** A bump allocator standing in for the engine's cabi_realloc (nothing is reused here). */
const alloc = (n: number, align: number) => {
  top = Math.ceil(top / align) * align;
  const p = top;
  top += Math.max(n, 1);
  if (memory && top > memory.buffer.byteLength)
    memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
  return p;
};

beforeAll(async () => {
  const adapter = await instantiateAdapter(await compileAdapter(), 16, (n, align) => alloc(n, align), {
    'io-read': (blob, offset, length, retptr) => {
      expect(blob).toBe(0);
      reads++;
      const o = Number(offset);
      const got = OLD.subarray(o, o + length);
      const p = alloc(got.length, 1);
      mem().set(got, p);
      new Uint32Array(memory.buffer, retptr, 2).set([p, got.length]);
    },
    'io-write': (ptr, len) => {
      written.push(mem().slice(ptr, ptr + len));
    },
  });
  memory = adapter.memory;
  mem = () => new Uint8Array(memory.buffer);
  k = adapter as unknown as OutputExports;
}, 60_000);

/** Bytes placed in the memory, as the engine's glue lowers a list. */
const put = (b: Uint8Array, align = 1) => {
  const p = alloc(b.length, align);
  mem().set(b, p);
  return p;
};

type Step = { meta: number; offset: number; size: number } | { write: Uint8Array };

function run(meta: Uint8Array, steps: Step[], quadsPerCall = 7) {
  written = [];
  reads = 0;
  const self = k['apply-output-new']();
  k['apply-output-start'](self, put(meta), meta.length, OLD.length);
  const want: Uint8Array[] = [];
  let metaPos = 0;
  let plan: number[] = [];
  const send = () => {
    if (!plan.length) return COPY_OK;
    const status = k['apply-output-copy'](self, put(words(plan), 4), plan.length);
    plan = [];
    return status;
  };
  for (const s of steps) {
    if ('write' in s) {
      expect(send()).toBe(COPY_OK);
      k['apply-output-write'](self, put(s.write), s.write.length);
      want.push(s.write);
      continue;
    }
    want.push(meta.subarray(metaPos, metaPos + s.meta), OLD.subarray(s.offset, s.offset + s.size));
    metaPos += s.meta;
    plan.push(s.meta, Math.floor(s.offset / 2 ** 32), s.offset % 2 ** 32, s.size);
    if (plan.length === 4 * quadsPerCall) expect(send()).toBe(COPY_OK);
  }
  expect(send()).toBe(COPY_OK);
  const ret = alloc(8, 4);
  k['apply-output-finish'](self, ret);
  return { got: Buffer.concat(written), want: Buffer.concat(want), digest: listAt(ret) };
}

/** A returned list<u8> (ptr, len at retptr), as hex. */
const listAt = (ret: number) => {
  const [ptr, len] = new Uint32Array(mem().buffer, ret, 2);
  return Buffer.from(mem().slice(ptr, ptr + len)).toString('hex');
};

const words = (quads: number[]) => new Uint8Array(Uint32Array.from(quads).buffer);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('apply-output kernel', () => {
  it('hands out the plan and the written pieces in order, hashed, whatever their sizes', () => {
    const meta = noise(300_000, 5);
    let x = 7;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    const steps: Step[] = [];
    let metaLeft = meta.length;
    let cursor = 0;
    for (let i = 0; i < 400; i++) {
      const m = Math.min(metaLeft, [0, 512, 1024, 1536][rnd(4)]);
      metaLeft -= m;
      // Mostly forward through OLD (a tar's unchanged files), sometimes back; sizes from 0 to 2.5 MB.
      const size = [0, 1 + rnd(600), 1 + rnd(20_000), 65_536 + rnd(100_000), 2_500_000][
        rnd(10) < 7 ? rnd(3) : 3 + rnd(2)
      ];
      if (rnd(10) === 0 || cursor + size > OLD.length) cursor = rnd(OLD.length - size);
      steps.push({ meta: m, offset: cursor, size });
      cursor += size + 512 * rnd(3);
      if (rnd(12) === 0) steps.push({ write: noise([17, 5000, 70_000][rnd(3)], i) });
    }
    steps.push({ meta: metaLeft, offset: 0, size: 0 });
    const r = run(meta, steps);
    expect(r.got.length).toBe(r.want.length);
    expect(Buffer.compare(r.got, r.want)).toBe(0);
    expect(r.digest).toBe(sha(r.want));
    // Forward runs come from a window each: far fewer reads than unchanged files.
    expect(reads).toBeLessThan(steps.length / 2);
  });

  it('starts over at start(): a second output after a first left unfinished', () => {
    const meta = noise(2048, 1);
    const self = k['apply-output-new']();
    k['apply-output-start'](self, put(meta), meta.length, OLD.length);
    k['apply-output-write'](self, put(noise(1000, 2)), 1000);
    const r = run(meta, [{ meta: 2048, offset: 12_345, size: 777 }]);
    expect(Buffer.compare(r.got, r.want)).toBe(0);
    expect(r.digest).toBe(sha(r.want));
  });

  it('runs a bspatch entry straight into the stage, the file hashed on its own, across a stage flush', () => {
    written = [];
    const region = OLD.subarray(100_000, 400_000);
    const list = [
      { add: 200_000, copy: 5000, seek: -100_000 },
      { add: 0, copy: 0, seek: 3 },
      { add: 150_000, copy: 0, seek: 0 },
    ];
    const diff = noise(350_000, 4);
    const extra = noise(5000, 5);
    const nw = referenceBspatch(region, list, diff, extra);
    const self = k['apply-output-new']();
    k['apply-output-start'](self, put(new Uint8Array(0)), 0, OLD.length);
    // 900 KB already staged: the entry's bytes fill the 1 MiB stage and go on after its flush.
    const before = noise(900_000, 6);
    k['apply-output-write'](self, put(before.subarray(0, 60_000)), 60_000);
    for (let i = 60_000; i < before.length; i += 10_000)
      k['apply-output-write'](self, put(before.subarray(i, i + 10_000)), 10_000);
    const entry = k['bspatch-new']();
    const ctrl = controls(list);
    expect(
      k['bspatch-load'](
        entry,
        put(ctrl),
        ctrl.length,
        nw.length + 1,
        region.length,
        nw.length,
        diff.length,
        extra.length,
      ),
    ).toBe(1);
    k['bspatch-feed-old'](entry, 0, put(region), region.length);
    k['apply-output-begin-file'](self);
    let made = 0;
    let fedDiff = 0;
    for (let calls = 0; ; calls++) {
      expect(calls).toBeLessThan(100);
      made += k['apply-output-patch'](self, entry);
      const status = k['bspatch-next'](entry) & 7;
      if (status === BSPATCH_DONE) break;
      if (status === BSPATCH_NEED_DIFF) {
        const piece = diff.subarray(fedDiff, fedDiff + 70_000);
        k['bspatch-feed-diff'](entry, put(piece), piece.length);
        fedDiff += piece.length;
      } else if (status === BSPATCH_NEED_EXTRA) {
        k['bspatch-feed-extra'](entry, put(extra), extra.length);
      } else throw new Error(`status ${status}`);
    }
    expect(made).toBe(nw.length);
    const ret = alloc(8, 4);
    k['apply-output-file-digest'](self, ret);
    expect(listAt(ret)).toBe(sha(nw));
    k['apply-output-finish'](self, ret);
    const all = Buffer.concat([before, nw]);
    expect(listAt(ret)).toBe(sha(all));
    expect(Buffer.compare(Buffer.concat(written), all)).toBe(0);
  });

  it('answers when the meta or OLD runs out', () => {
    const self = k['apply-output-new']();
    const copy = (quads: number[]) => k['apply-output-copy'](self, put(words(quads), 4), quads.length);
    k['apply-output-start'](self, put(noise(100, 3)), 100, OLD.length);
    expect(copy([60, 0, 0, 10, 41, 0, 0, 0])).toBe(COPY_META_SHORT);
    k['apply-output-start'](self, put(noise(100, 3)), 100, OLD.length);
    expect(copy([0, 0, OLD.length - 10, 11])).toBe(COPY_OLD_SHORT);
    expect(copy([0, 1, 0, 1])).toBe(COPY_OLD_SHORT);
  });
});
