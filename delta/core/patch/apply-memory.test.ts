// Apply's memory bound as a property, not a timing or RSS threshold: the bytes the core allocates
// (every new Uint8Array(n) and slice during applyPatch, counted by a stand-in constructor) and
// the bytes it makes OLD/PATCH sources allocate (read() hands out fresh arrays, as the file
// source does; readInto does not) must not grow with the number of files in the layer, nor
// with the size of the largest changed file beyond its control list. Before the cursors and
// shared buffers, each changed file cost 64 KiB or more, and the largest file's controls and
// fzstd's per-block arrays grew with the file.
import { afterAll, describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../node/hash.js';
import { gnuTarBytes, noise } from '../../node/testing/fixtures.js';
import { digestOf, testCompress } from '../../node/testing/patch.js';
import { concatBytes, type RandomAccess } from '../io.js';
import { applyPatch } from './apply.js';
import { createPatch } from './create.js';
import { decodeHead } from './format.js';
import { DEFAULT_LIMITS } from './limits.js';

const Original = globalThis.Uint8Array;

/** Runs f with Uint8Array replaced by a subclass that counts the bytes of every new buffer. */
function countAllocated(f: () => void): number {
  let bytes = 0;
  class Counting extends Original {
    // biome-ignore lint/suspicious/noExplicitAny: forwards every Uint8Array constructor form
    constructor(...args: any[]) {
      super(...(args as []));
      // A view of an existing buffer allocates nothing; a length or an array-like does.
      if (!(args[0] instanceof ArrayBuffer)) bytes += this.byteLength;
    }
    static override [Symbol.hasInstance](x: unknown) {
      return x instanceof Original;
    }
  }
  globalThis.Uint8Array = Counting as Uint8ArrayConstructor;
  try {
    f();
  } finally {
    globalThis.Uint8Array = Original;
  }
  return bytes;
}

/** Like the file source: read() returns a fresh array (counted), readInto fills the caller's. */
function allocatingSource(bytes: Uint8Array, counter: { read: number }): RandomAccess {
  return {
    size: bytes.length,
    read(offset, length) {
      counter.read += length;
      return bytes.slice(offset, offset + length);
    },
    readInto: (target, offset) => target.set(bytes.subarray(offset, offset + target.length)),
  };
}

interface Layers {
  readonly old: Uint8Array;
  readonly nw: Uint8Array;
}

/** `files` changed 16 KiB files plus one changed `big`-byte binary with a few edits. */
function layers(files: number, big: number): Layers {
  const oldSpec: Record<string, Uint8Array> = {};
  const newSpec: Record<string, Uint8Array> = {};
  for (let i = 0; i < files; i++) {
    const o = noise(16 << 10, 100 + i);
    const n = o.slice();
    n[(i * 977) % n.length] ^= 0x5a;
    oldSpec[`lib/f${String(i).padStart(4, '0')}.so`] = o;
    newSpec[`lib/f${String(i).padStart(4, '0')}.so`] = n;
  }
  const o = noise(big, 7);
  const n = o.slice();
  for (let k = 1; k <= 24; k++) n[Math.floor((k * big) / 25)] ^= 0xff;
  oldSpec['bin/server'] = o;
  newSpec['bin/server'] = n;
  return { old: gnuTarBytes(oldSpec), nw: gnuTarBytes(newSpec) };
}

function measure({ old, nw }: Layers) {
  const patch = concatBytes(
    createPatch({
      old,
      new: nw,
      source: digestOf(old),
      newGzip: false,
      sha256: nodeSha256,
      compress: testCompress,
    }).parts,
  );
  const reads = { read: 0 };
  const patchSource = allocatingSource(patch, reads);
  const decoded = decodeHead(patchSource, DEFAULT_LIMITS);
  let out = 0;
  let largestChunk = 0;
  let same = true;
  const run = () =>
    applyPatch({
      patch: patchSource,
      old: allocatingSource(old, reads),
      decoded,
      sha256: nodeSha256,
      limits: DEFAULT_LIMITS,
      sink: (c) => {
        for (let i = 0; i < c.length; i += 509) if (c[i] !== nw[out + i]) same = false;
        out += c.length;
        largestChunk = Math.max(largestChunk, c.length);
      },
    });
  const allocated = countAllocated(run);
  expect(same && out === nw.length).toBe(true);
  return { allocated, reads: reads.read, largestChunk, layer: nw.length, patch: patch.length };
}

describe('apply allocates a bounded amount, whatever the layer and the changed file sizes', () => {
  // Warm-up (lazily built decoder tables), then the base case and one dimension grown 4x each.
  const runs: Record<string, ReturnType<typeof measure>> = {};
  afterAll(() => {
    for (const [k, r] of Object.entries(runs))
      console.log(
        `apply-memory ${k}: layer ${r.layer} B, patch ${r.patch} B, allocated ${r.allocated} B, source reads ${r.reads} B`,
      );
  });

  it('measures', () => {
    measure(layers(2, 64 << 10));
    runs.base = measure(layers(30, 1536 << 10));
    runs.moreFiles = measure(layers(120, 1536 << 10));
    runs.biggerFile = measure(layers(30, 6 << 20));
  }, 120_000);

  it('does not grow with the number of files in the layer', () => {
    const { base, moreFiles } = runs;
    expect(moreFiles.layer).toBeGreaterThan(base.layer + 1.4e6);
    // 90 more changed files: their tar headers (old and new meta are held: ~1.5 KiB a file with
    // the builders' doubling), control lists and digests, never a buffer or a read per file.
    expect(moreFiles.allocated - base.allocated).toBeLessThan(90 * 4096);
    expect(moreFiles.reads - base.reads).toBeLessThan(90 * 1024);
  });

  it('does not grow with the changed file (OLD, diff and extra stay streamed)', () => {
    const { base, biggerFile } = runs;
    expect(biggerFile.layer - base.layer).toBeGreaterThan(4e6);
    expect(biggerFile.allocated - base.allocated).toBeLessThan(256 * 1024);
    expect(biggerFile.reads - base.reads).toBeLessThan(64 * 1024);
  });

  it('stays within the stream windows and a few fixed buffers', () => {
    for (const r of Object.values(runs)) {
      // 1 MiB zstd window + 256 KiB slack for the diff stream, smaller ones for the others,
      // 64 KiB copy/sum/cache buffers: 3 MiB is generous and far below any layer here.
      expect(r.allocated).toBeLessThan(3 << 20);
      expect(r.largestChunk).toBeLessThanOrEqual(1 << 16);
    }
  });
});
