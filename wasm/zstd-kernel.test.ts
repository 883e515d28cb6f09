import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress } from 'zstd-napi';
import { MAX_BLOCK, parseBlockHeader, parseFrameHeader } from '../delta/core/zstd/index.js';
import { shareMemory } from './kernels.mjs';
import { noise } from './testing/layers.js';
import { corpus, type LoadedZstdKernel, loadZstdKernel } from './testing/zstd.js';

// The zstd kernel (wasm/kernels/zstd-kernel.c + zstd's decoder) as the engine runs it: on a
// memory it does not own, every byte from a cabi_realloc that records its blocks. The memory
// starts filled with a canary, so any write outside those blocks shows, whatever the input:
// real frames decode byte for byte like native zstd, hostile ones end with an error code.

const CANARY = 0xa5;
let z: LoadedZstdKernel;
const bytes = () => z.bytes();

beforeAll(async () => {
  z = await loadZstdKernel(CANARY);
}, 120_000);

const decoders = new Map<number, number>();
/** One decoder per capacity, reused like the component's pool. */
function decoder(capacity: number): number {
  let d = decoders.get(capacity);
  if (d === undefined) {
    d = z.k['zstd-new'](capacity);
    decoders.set(capacity, d);
  }
  return d;
}

/** The decoded frame, or the first block's error code. `window` overrides the header's. */
function decode(frame: Uint8Array, opts: { window?: number; limit?: number } = {}): Uint8Array | number {
  const h = parseFrameHeader(frame, 'test', 1 << 27);
  const window = opts.window ?? h.windowSize;
  const limit = opts.limit ?? h.contentSize ?? Number.MAX_SAFE_INTEGER;
  const blockMax = Math.min(MAX_BLOCK, window);
  const capacity = limit <= window ? limit : window + 2 * blockMax;
  const d = decoder(capacity);
  if (z.k['zstd-reset'](d, window) !== 1) return -1;
  const out: Uint8Array[] = [];
  let total = 0;
  for (let pos = h.headerSize; ; ) {
    const b = parseBlockHeader(frame.subarray(pos), 'test');
    const wire = frame.subarray(pos, Math.min(frame.length, pos + b.wireSize));
    const got = z.block(d, wire, Math.min(blockMax, limit - total));
    if (typeof got === 'number') return got;
    out.push(got);
    total += got.length;
    pos += b.wireSize;
    if (b.last || pos >= frame.length) break;
  }
  return Buffer.concat(out);
}

/** Bytes outside every block cabi_realloc handed out that are no longer the canary. */
function writtenOutside(): number {
  const m = bytes();
  const sorted = [...z.blocks].sort((a, b) => a[0] - b[0]);
  let bad = 0;
  let cur = 0;
  for (const [at, n] of [...sorted, [m.length, 0] as [number, number]]) {
    for (let i = cur; i < at; i++) if (m[i] !== CANARY) bad++;
    cur = Math.max(cur, at + n);
  }
  return bad;
}

describe('zstd kernel', () => {
  it.each([
    ['small text, level 3', corpus(10_000, 1), { compressionLevel: 3 }],
    [
      '1 MB, level 19, window 2^17 (history moves every block)',
      corpus(1_000_000, 2),
      { compressionLevel: 19, windowLog: 17 },
    ],
    ['noise (raw blocks)', noise(300_000, 3), { compressionLevel: 3 }],
    ['zeros (RLE blocks)', new Uint8Array(400_000), { compressionLevel: 1, contentSizeFlag: false }],
    [
      'checksum, no content size',
      corpus(200_000, 4),
      { compressionLevel: 5, checksumFlag: true, contentSizeFlag: false },
    ],
    ['window 2^10', corpus(50_000, 5), { compressionLevel: 9, windowLog: 10, contentSizeFlag: false }],
  ] as const)('decodes %s like native zstd', (_name, data, params) => {
    const frame = new Uint8Array(compress(data, params));
    const got = decode(frame);
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.compare(got as Uint8Array, decompress(frame))).toBe(0);
    expect(writtenOutside()).toBe(0);
  });

  it('decodes a frame whose window is not a power of two (single segment: the content size)', () => {
    const data = corpus(70_001, 6);
    const frame = new Uint8Array(compress(data, { compressionLevel: 7 }));
    expect(parseFrameHeader(frame, 'test', 1 << 27).windowSize).toBe(70_001);
    expect(Buffer.compare(decode(frame) as Uint8Array, data)).toBe(0);
  });

  it('refuses offsets beyond the window the header declares', () => {
    // A 200 kB run repeated 600 kB later: matches reach back ~800 kB.
    const r = noise(200_000, 7);
    const data = Buffer.concat([r, noise(600_000, 8), r]);
    const frame = new Uint8Array(
      compress(data, { compressionLevel: 19, windowLog: 20, contentSizeFlag: false }),
    );
    expect(Buffer.compare(decode(frame) as Uint8Array, data)).toBe(0);
    expect(decode(frame, { window: 1 << 17 })).toBe(20); // corruption_detected
    expect(writtenOutside()).toBe(0);
  });

  it('returns an empty block without allocating (the glue frees no empty list)', () => {
    const d = decoder(1 << 16);
    expect(z.k['zstd-reset'](d, 1 << 16)).toBe(1);
    const before = z.blocks.length;
    const got = z.block(d, Uint8Array.of(0x01, 0x00, 0x00), 1 << 16); // last block, raw, 0 bytes
    expect(got).toEqual(new Uint8Array(0));
    // block() itself allocates the wire copy only when it grows; the kernel must add nothing.
    expect(z.blocks.slice(before).filter(([, n]) => n <= 1)).toEqual([]);
    expect(writtenOutside()).toBe(0);
  });

  it('stops at the declared size (room) instead of writing past it', () => {
    const frame = new Uint8Array(
      compress(new Uint8Array(300_000), { compressionLevel: 1, contentSizeFlag: false }),
    );
    expect(decode(frame, { limit: 200_000 })).toBe(70); // dstSize_tooSmall
    expect(writtenOutside()).toBe(0);
  });

  it('ends every mutated frame with a result, never a trap or a stray write', () => {
    const frames = [
      new Uint8Array(compress(corpus(150_000, 9), { compressionLevel: 19, contentSizeFlag: false })),
      new Uint8Array(compress(corpus(40_000, 10), { compressionLevel: 3, contentSizeFlag: false })),
    ];
    let errors = 0;
    let x = 12345;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    for (let i = 0; i < 1500; i++) {
      const f = frames[i % 2].slice();
      const h = parseFrameHeader(f, 'test', 1 << 27).headerSize;
      // Flip 1-4 bytes of the blocks (headers included), or cut a block's body short.
      for (let j = rnd(4) + 1; j > 0; j--) f[h + rnd(f.length - h)] ^= 1 + rnd(255);
      const cut = i % 5 === 0 ? f.subarray(0, h + rnd(f.length - h)) : f;
      let got: Uint8Array | number;
      try {
        got = decode(cut);
      } catch (e) {
        // delta/core's header parser refuses a reserved block type or an oversized block first.
        expect((e as { code?: string }).code).toBe('DELTA_DECOMPRESS');
        continue;
      }
      if (typeof got === 'number') errors++;
    }
    expect(errors).toBeGreaterThan(500);
    expect(writtenOutside()).toBe(0);
  });

  it('keeps its stack far inside its block', () => {
    // The first block the kernel took (after the test's return area) is its init block: tables,
    // then the stack (8 KiB, growing down from the end). Bytes still the canary were never used.
    const [at, n] = z.blocks[1];
    const m = bytes();
    let used = 0;
    for (let i = at + n - 1; i >= at + n - 8192; i--) if (m[i] !== CANARY) used = at + n - i;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(2048);
  });
});

declare const WebAssembly: {
  Memory: new (d: { initial: number }) => object;
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

describe('shareMemory (the PIC rewrite) refuses shapes it was not written for', () => {
  /** A PIC-shaped module as clang emits it; each case changes one thing. */
  const pic = (extra = '', start = '', data = '(data (global.get $mb) "abc")') => `(module
    (import "env" "memory" (memory 1))
    (import "env" "__memory_base" (global $mb i32))
    (import "env" "__stack_pointer" (global $sp (mut i32)))
    (import "env" "cabi_realloc" (func $r (param i32 i32 i32 i32) (result i32)))
    (import "aloft" "init" (func $init))
    ${extra}
    ${data}
    (func $s ${start})
    (start $s)
    (func (export "k-new") (result i32) (call $init) (i32.load (global.get $mb))))`;
  const assemble = async (text: string) => {
    const { default: binaryen } = await import('binaryen');
    const m = binaryen.parseText(text);
    m.setFeatures(binaryen.Features.All);
    const b = m.emitBinary();
    m.dispose();
    return b;
  };

  it('rewrites the expected shape: its data lands in a block from cabi_realloc', async () => {
    const got: number[] = [];
    const mem = new WebAssembly.Memory({ initial: 1 });
    const { instance } = await WebAssembly.instantiate(
      await shareMemory(await assemble(pic()), { name: 't', exports: ['k-new'] }),
      {
        env: {
          memory: mem,
          cabi_realloc: (_o: number, _s: number, _a: number, n: number) => {
            got.push(n);
            return 4096;
          },
        },
      },
    );
    expect((instance.exports['k-new'] as () => number)()).toBe(0x636261); // "abc" read at the block
    expect(got).toEqual([16 + 8192]); // data rounded to 16, then the stack
  });

  it.each([
    [
      'another import',
      pic('(import "env" "malloc" (func $m (param i32) (result i32)))'),
      /unexpected import env.malloc/,
    ],
    ['a start function with code', pic('', '(global.set $sp (i32.const 5))'), /start function has code/],
    [
      'two data segments',
      pic('', '', '(data (global.get $mb) "a") (data (global.get $mb) "b")'),
      /2 data segments/,
    ],
    [
      'memory.grow',
      pic('(func (export "g") (drop (memory.grow (i32.const 1))))'),
      /grows or sizes the memory/,
    ],
  ])('fails the build on %s', async (_name, text, message) => {
    const exports = text.includes('"g"') ? ['k-new', 'g'] : ['k-new'];
    await expect(shareMemory(await assemble(text), { name: 't', exports })).rejects.toThrow(message);
  });
});
