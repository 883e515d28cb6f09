import { describe, expect, it } from 'vitest';
import { noise } from '../../node/testing/fixtures.js';
import { controls } from '../../node/testing/patch.js';
import type { BsdiffControl } from '../bsdiff/index.js';
import { referenceBspatch } from '../bsdiff/testing/reference-patch.js';
import { isDeltaError } from '../errors.js';
import { bytesSource } from '../io.js';
import { CODEC_STORED, StreamReader } from '../zstd/index.js';
import {
  BSPATCH_DONE,
  BSPATCH_MORE,
  BSPATCH_NEED_DIFF,
  BSPATCH_NEED_EXTRA,
  BSPATCH_NEED_OLD,
  BSPATCH_PAGE,
  type BspatchKernel,
  kernelBspatch,
} from './bspatch-port.js';
import { EncodedControls } from './control-cursor.js';

// kernelBspatch drives the kernel's protocol (wasm/kernels/bspatch.c) from delta/core. This kernel
// keeps that protocol in TypeScript, strictly: a piece of diff or extra fed before the last one
// is used up (the C kernel would drop its unused bytes), or a page fed twice, is an error here.

const OUT_MAX = 1 << 16;

class BookKernel implements BspatchKernel {
  calls = { run: 0, diff: 0, extra: 0, old: 0 };
  private list: BsdiffControl[] = [];
  private i = 0;
  private add = 0;
  private copy = 0;
  /** Where the current add reads OLD, and where the next control starts (as bspatch.c keeps them). */
  private oldCur = 0;
  private oldPos = 0;
  private diff = new Uint8Array(0);
  private dp = 0;
  private extra = new Uint8Array(0);
  private ep = 0;
  private readonly pages = new Map<number, Uint8Array>();
  private status = BSPATCH_MORE;

  load(list: Uint8Array, maxEntries: number, _oldSize: number, _newSize: number): boolean {
    const c = new EncodedControls(list, maxEntries);
    this.list = [];
    while (c.next()) this.list.push({ add: c.add, copy: c.copy, seek: c.seek });
    this.i = this.add = this.copy = this.oldCur = this.oldPos = this.dp = this.ep = 0;
    this.diff = new Uint8Array(0);
    this.extra = new Uint8Array(0);
    this.pages.clear();
    return true;
  }
  feedDiff(bytes: Uint8Array): void {
    if (this.dp < this.diff.length) throw new Error('diff fed before the last piece was used');
    this.calls.diff++;
    this.diff = bytes.slice();
    this.dp = 0;
  }
  feedExtra(bytes: Uint8Array): void {
    if (this.ep < this.extra.length) throw new Error('extra fed before the last piece was used');
    this.calls.extra++;
    this.extra = bytes.slice();
    this.ep = 0;
  }
  feedOld(page: number, bytes: Uint8Array): void {
    if (this.pages.has(page)) throw new Error(`page ${page} fed twice`);
    this.calls.old++;
    this.pages.set(page, bytes.slice());
  }
  run(): Uint8Array {
    this.calls.run++;
    const out: number[] = [];
    this.status = BSPATCH_MORE;
    for (;;) {
      if (this.add === 0 && this.copy === 0) {
        if (this.i === this.list.length) {
          this.status = BSPATCH_DONE;
          break;
        }
        if (out.length === OUT_MAX) break;
        const c = this.list[this.i++];
        this.add = c.add;
        this.copy = c.copy;
        this.oldCur = this.oldPos;
        this.oldPos += c.add + c.seek;
      } else if (out.length === OUT_MAX) break;
      else if (this.add > 0) {
        if (this.dp === this.diff.length) {
          this.status = BSPATCH_NEED_DIFF;
          break;
        }
        const page = Math.floor(this.oldCur / BSPATCH_PAGE);
        const bytes = this.pages.get(page);
        if (!bytes) {
          this.status = BSPATCH_NEED_OLD | (page << 3);
          break;
        }
        out.push((this.diff[this.dp++] + bytes[this.oldCur++ - page * BSPATCH_PAGE]) & 255);
        this.add--;
      } else {
        if (this.ep === this.extra.length) {
          this.status = BSPATCH_NEED_EXTRA;
          break;
        }
        out.push(this.extra[this.ep++]);
        this.copy--;
      }
    }
    return Uint8Array.from(out);
  }
  next(): number {
    return this.status;
  }
}

const stored = (bytes: Uint8Array) =>
  new StreamReader(
    bytesSource(bytes),
    { name: 't', codec: CODEC_STORED, offset: 0, compressedSize: bytes.length, rawSize: bytes.length },
    1 << 20,
  );

function run(old: Uint8Array, list: BsdiffControl[], kernel = new BookKernel()) {
  const adds = list.reduce((n, c) => n + c.add, 0);
  const copies = list.reduce((n, c) => n + c.copy, 0);
  const diff = noise(adds, 3);
  const extra = noise(copies, 4);
  const size = adds + copies;
  expect(kernel.load(controls(list), size + 1, old.length, size)).toBe(true);
  const parts: Uint8Array[] = [];
  kernelBspatch(kernel, {
    old: bytesSource(old),
    diff: stored(diff),
    extra: stored(extra),
    diffLen: adds,
    extraLen: copies,
    sink: (c) => parts.push(c.slice()),
  });
  expect(Buffer.concat(parts).equals(Buffer.from(referenceBspatch(old, list, diff, extra)))).toBe(true);
  return kernel.calls;
}

describe('kernelBspatch: feeding the bspatch kernel', () => {
  it('a one-page entry runs in one run(): diff, extra and OLD are handed over before it asks', () => {
    const old = noise(5000, 1);
    const calls = run(old, [
      { add: 1200, copy: 30, seek: 100 },
      { add: 900, copy: 0, seek: -2000 },
      { add: 1500, copy: 7, seek: 0 },
    ]);
    expect(calls).toEqual({ run: 1, diff: 1, extra: 1, old: 1 });
  });

  it('entries with only diff or only extra bytes feed only those', () => {
    const old = noise(3000, 2);
    expect(run(old, [{ add: 3000, copy: 0, seek: 0 }])).toEqual({ run: 1, diff: 1, extra: 0, old: 1 });
    expect(run(old, [{ add: 0, copy: 2000, seek: 0 }])).toEqual({ run: 1, diff: 0, extra: 1, old: 0 });
    expect(run(new Uint8Array(0), [{ add: 0, copy: 10, seek: 0 }])).toEqual({
      run: 1,
      diff: 0,
      extra: 1,
      old: 0,
    });
  });

  it('big entries over many OLD pages still get every byte once, in order, as the kernel asks', () => {
    const old = noise(3 * BSPATCH_PAGE + 1000, 3);
    const list: BsdiffControl[] = [];
    let pos = 0;
    for (let i = 0; i < 30; i++) {
      const add = i % 7 === 0 ? 150_000 + i : 300 + ((i * 7919) % 5000);
      const copy = i % 3 === 0 ? 70_000 + i : i % 5;
      const target = (i * 2_654_435_761) % (old.length - 160_000);
      const seek = target - (pos + add);
      list.push({ add, copy, seek });
      pos += add + seek;
    }
    const calls = run(old, list);
    expect(calls.run).toBeGreaterThan(10);
    expect(calls.old).toBeGreaterThanOrEqual(3);
  });

  it('a kernel that asks for more than the entry holds is a kernel bug, said as one', () => {
    const old = noise(2000, 4);
    const list = [{ add: 1000, copy: 10, seek: 0 }];
    const greedy = new (class extends BookKernel {
      override next(): number {
        const s = super.next();
        return s === BSPATCH_DONE ? BSPATCH_NEED_EXTRA : s;
      }
    })();
    let error: unknown;
    try {
      run(old, list, greedy);
    } catch (e) {
      error = e;
    }
    expect(isDeltaError(error) && error.code).toBe('DELTA_PATCH_INVALID');
    expect(String(error)).toMatch(/asked for more extra bytes than the entry has/);
  });
});
