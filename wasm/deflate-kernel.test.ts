import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32, GZIP_LEVELS, gzipDeflate, inflateRaw } from '../delta/core/deflate/index.js';
import { dynamicThenStored } from '../delta/core/deflate/testing/streams.js';
import { sameBytes } from '../delta/core/errors.js';
import { bytesSource, concatBytes } from '../delta/core/io.js';
import { scanTar } from '../delta/core/tar/index.js';
import { compileAdapter } from './kernels.mjs';
import { type GzipCodec, kernelCodec } from './src/deflate-kernel.js';
import { NO_IO } from './testing/adapter.js';
import { noise } from './testing/layers.js';

// The gzip kernels (wasm/kernels/deflate*.c, inflate.c) as the engine runs them, on a memory they
// do not own, against the TypeScript they replace in the component: the same deflate bytes at
// every level on real .gz contents and generated edge cases (and GNU gzip's own), the same
// inflate output, `end`, errors and messages on good and hostile streams.

// The project's lib (ES2023, no DOM) leaves out the WebAssembly namespace Node provides.
declare const WebAssembly: {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
};

interface Exports {
  'gzip-codec-new'(): number;
  'gzip-codec-deflate'(self: number, ptr: number, len: number, level: number, ret: number): void;
  'gzip-codec-inflate'(
    self: number,
    ptr: number,
    len: number,
    off: number,
    max: number,
    exact: number,
    ret: number,
  ): void;
  'gzip-codec-crc32'(self: number, ptr: number, len: number, crc: number): number;
}

let codec: ReturnType<typeof kernelCodec>;
/** While set, every call checks that the kernel wrote nowhere but the blocks it was handed. */
let guarded = false;
const CANARY = 0xa5;
const CANARY_RUN = Buffer.alloc(1 << 20, CANARY);
const expectCanary = (m: Uint8Array, from: number, to: number) => {
  for (let a = from; a < to; a += CANARY_RUN.length) {
    const n = Math.min(CANARY_RUN.length, to - a);
    if (Buffer.compare(m.subarray(a, a + n), CANARY_RUN.subarray(0, n)) !== 0)
      throw new Error(`the kernel wrote between ${a} and ${a + n}, outside its blocks`);
  }
};

beforeAll(async () => {
  // A bump allocator standing in for the engine's cabi_realloc, on a memory filled with a canary.
  // Each call's blocks are given back when it returns (the codec's state stays below `base`).
  const memory = new WebAssembly.Memory({ initial: 2 });
  const bytes = () => new Uint8Array(memory.buffer);
  bytes().fill(CANARY);
  let top = 1024;
  let base = 0;
  let blocks: [number, number][] = [];
  const alloc = (old: number, oldSize: number, align: number, n: number) => {
    top = Math.ceil(top / align) * align;
    const p = top;
    top += n;
    blocks.push([p, n]);
    const have = memory.buffer.byteLength;
    if (top > have) {
      memory.grow(Math.ceil((top - have) / 65536));
      bytes().fill(CANARY, have);
    }
    if (old) bytes().copyWithin(p, old, old + Math.min(oldSize, n));
    return p;
  };
  const { instance } = await WebAssembly.instantiate(await compileAdapter(), {
    env: { memory, cabi_realloc: alloc, ...NO_IO },
  });
  const k = instance.exports as unknown as Exports;
  const self = k['gzip-codec-new']();
  base = top;
  blocks = [];
  /** Runs one kernel call on `input` placed in memory, then checks and frees its blocks. */
  const call = <T>(input: Uint8Array, run: (ptr: number) => T): T => {
    const ptr = alloc(0, 0, 1, input.length || 1);
    bytes().set(input, ptr);
    const r = run(ptr);
    if (guarded) {
      const m = bytes();
      expect(sameBytes(m.subarray(ptr, ptr + input.length), input), 'input left as it was').toBe(true);
      // Every byte outside the call's blocks (and below the codec's state) is still the canary.
      let at = base;
      for (const [p, n] of [[0, 1024], ...blocks].sort((x, y) => x[0] - y[0])) {
        if (p > at) expectCanary(m, at, p);
        at = Math.max(at, p + n);
      }
      expectCanary(m, at, m.length);
      expectCanary(m, 0, 1024);
    }
    bytes().fill(CANARY, base, top);
    top = base;
    blocks = [];
    return r;
  };
  const words = (at: number, n: number) => new Uint32Array(memory.buffer, at, n);
  const list = (at: number) => {
    const [ptr, len] = words(at, 2);
    return new Uint8Array(memory.buffer, ptr, len).slice();
  };
  const wasmCodec: GzipCodec = {
    deflate: (input, level) =>
      call(input, (p) => {
        const ret = alloc(0, 0, 4, 8);
        k['gzip-codec-deflate'](self, p, input.length, level, ret);
        return list(ret);
      }),
    inflate: (input, offset, maxSize, exact) =>
      call(input, (p) => {
        const ret = alloc(0, 0, 4, 16);
        k['gzip-codec-inflate'](self, p, input.length, offset, maxSize, exact ? 1 : 0, ret);
        const [status, end] = words(ret, 2);
        return { status, end, data: list(ret + 8) };
      }),
    crc32: (data, crc) => call(data, (p) => k['gzip-codec-crc32'](self, p, data.length, crc)),
  };
  codec = kernelCodec(() => wasmCodec);
}, 60_000);

const collect = (run: (sink: (c: Uint8Array) => void) => void) => {
  const parts: Uint8Array[] = [];
  run((c) => parts.push(c));
  return concatBytes(parts);
};
const tsDeflate = (data: Uint8Array, level: number) => collect((s) => gzipDeflate(data, level, s));
const kernelDeflate = (data: Uint8Array, level: number) => collect((s) => codec.gzipDeflate(data, level, s));
const gnuBody = (data: Uint8Array, level: number) => {
  const gz = execFileSync('gzip', [`-${level}`, '-n', '-c'], { input: data, maxBuffer: 1 << 28 });
  return new Uint8Array(gz.subarray(10, gz.length - 8));
};

/** The outcome of a call: its value, or the error's class, code and message. */
const outcome = (f: () => { data: Uint8Array; end: number }) => {
  try {
    const { data, end } = f();
    return { end, length: data.length, crc: crc32(data) };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { error: `${err.name} ${err.code} ${err.message}` };
  }
};
const sameInflate = (input: Uint8Array, offset: number, max: number, exact?: number) =>
  expect(outcome(() => codec.inflateRaw(input, offset, max, exact))).toEqual(
    outcome(() => inflateRaw(input, offset, max, exact)),
  );

const text = (n: number, seed: number) => {
  const w = 'the of and to in is that for it as with was on be by at this had not are but'.split(' ');
  const r = noise(n, seed);
  let s = '';
  for (let i = 0; s.length < n; i++)
    s += `${w[r[i % n] % w.length]}${r[(i * 7) % n] % 11 === 0 ? '.\n' : ' '}`;
  return new TextEncoder().encode(s.slice(0, n));
};
const repeat = (unit: Uint8Array, n: number) => {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += unit.length) out.set(unit.subarray(0, n - i), i);
  return out;
};

const GENERATED: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['1 byte', Uint8Array.of(65)],
  ['2 bytes', Uint8Array.of(0, 0)],
  ['3 bytes', Uint8Array.of(1, 2, 3)],
  ['100 KB of zeros', new Uint8Array(100_000)],
  ['incompressible 200 KB', noise(200_000, 1)],
  ['long repeats (period 3)', repeat(Uint8Array.of(1, 2, 3), 300_000)],
  ['long repeats (period 258)', repeat(noise(258, 2), 200_000)],
  ['long repeats (period 4100)', repeat(noise(4100, 3), 150_000)],
  ['long repeats (period 40000)', repeat(text(40_000, 4), 200_000)],
  ['text then noise then text', concatBytes([text(40_000, 5), noise(50_000, 6), text(90_000, 7)])],
  ...[32767, 32768, 32769, 65273, 65274, 65275, 65535, 65536, 65537, 98304, 131073].map(
    (n): [string, Uint8Array] => [`text of ${n} bytes`, text(n, n)],
  ),
  ...[32768, 65536, 65537].map((n): [string, Uint8Array] => [`noise of ${n} bytes`, noise(n, n)]),
];

describe('deflate kernel: the same bytes as delta/core gzipDeflate and GNU gzip', () => {
  it.each(GENERATED)('%s, levels 4-9', (_, data) => {
    for (const level of GZIP_LEVELS) {
      const ours = kernelDeflate(data, level);
      expect(sameBytes(ours, tsDeflate(data, level)), `-${level} against TS`).toBe(true);
      expect(sameBytes(ours, gnuBody(data, level)), `-${level} against gzip`).toBe(true);
    }
  });

  it('refuses levels it cannot reproduce, like the TypeScript', () => {
    for (const level of [0, 1, 3, 10])
      expect(() => kernelDeflate(Uint8Array.of(1), level)).toThrow(/gzip level .* not reproducible/);
  });

  it('crc32 matches', () => {
    for (const [, data] of GENERATED.slice(0, 8)) {
      expect(codec.crc32(data)).toBe(crc32(data));
      expect(codec.crc32(data.subarray(5), crc32(data.subarray(0, 5)))).toBe(crc32(data));
    }
  });
});

/** Every gzip member of the delta corpus's tars (when fetched) and a sample of /usr/share/doc. */
function realMembers(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const cache = join(process.cwd(), 'bench', '.cache', 'delta');
  for (const pair of existsSync(cache) ? readdirSync(cache).sort() : [])
    for (const side of ['old', 'new']) {
      const path = join(cache, pair, `${side}.tar`);
      if (!existsSync(path)) continue;
      const tar = new Uint8Array(readFileSync(path));
      for (const r of scanTar(bytesSource(tar)).regions) {
        const data = tar.subarray(r.offset, r.offset + r.size);
        if (data.length >= 18 && data[0] === 0x1f && data[1] === 0x8b)
          out.push([`${pair}/${side}: ${r.path}`, data]);
      }
    }
  // The first .gz files of /usr/share/doc in path order, up to 1.5 MB compressed.
  const doc: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.gz')) doc.push(p);
    }
  };
  if (existsSync('/usr/share/doc')) walk('/usr/share/doc');
  let bytes = 0;
  for (const p of doc) {
    const data = new Uint8Array(readFileSync(p));
    bytes += data.length;
    if (bytes > 1_500_000) break;
    out.push([p, data]);
  }
  return out;
}

describe('on real .gz files', () => {
  const members = realMembers();

  it('finds gzip members to test on', () => {
    expect(members.length).toBeGreaterThan(20);
  });

  it('inflates every member as inflate.ts does, and deflates its content as gzipDeflate does at every level', () => {
    let reproduced = 0;
    for (const [name, gz] of members) {
      sameInflate(gz, 10, 1 << 28);
      let content: Uint8Array;
      try {
        content = inflateRaw(gz, 10, 1 << 28).data;
      } catch {
        continue; // a header with a name or extra field: inflate from 10 is garbage, checked above
      }
      for (const level of GZIP_LEVELS) {
        const ours = kernelDeflate(content, level);
        expect(sameBytes(ours, tsDeflate(content, level)), `${name} -${level}`).toBe(true);
        if (sameBytes(ours, gz.subarray(10, gz.length - 8))) reproduced++;
      }
    }
    // Most of them are `gzip -9n` files, which the kernel rebuilds byte for byte.
    expect(reproduced).toBeGreaterThan(members.length / 2);
  });
});

describe('inflate kernel: the same results and refusals as inflate.ts', () => {
  // Here every call also checks that the kernel wrote nowhere but its own blocks.
  beforeAll(() => {
    guarded = true;
  });
  afterAll(() => {
    guarded = false;
  });
  const data = concatBytes([text(30_000, 11), noise(3000, 12), text(20_000, 13)]);
  const gz = new Uint8Array(execFileSync('gzip', ['-9', '-n', '-c'], { input: data }));
  const raw = gz.subarray(10, gz.length - 8);

  it('round-trips, with the same `end`, and under an exact size', () => {
    sameInflate(gz, 10, 1 << 20);
    expect(sameBytes(codec.inflateRaw(gz, 10, 1 << 20).data, data)).toBe(true);
    sameInflate(gz, 10, 0, data.length);
    sameInflate(raw, 0, 1 << 20);
  });

  it('stops at the ceiling (a bomb) and refuses another exact size', () => {
    const bomb = new Uint8Array(execFileSync('gzip', ['-9', '-n', '-c'], { input: new Uint8Array(4 << 20) }));
    for (const max of [0, 1, 1023, 1024, 1025, 100_000, 1 << 20]) sameInflate(bomb, 10, max);
    expect(() => codec.inflateRaw(bomb, 10, 1 << 20)).toThrow(/more than 1048576 bytes/);
    for (const exact of [0, 1, data.length - 1, data.length + 1]) sameInflate(gz, 10, 1 << 20, exact);
  });

  it('truncations: every one in the first blocks, then every 13th', () => {
    for (let n = 0; n <= raw.length; n += n < 3000 ? 1 : 13) sameInflate(raw.subarray(0, n), 0, 1 << 20);
  });

  it('bit flips and random garbage', () => {
    const r = noise(40_000, 17);
    for (let i = 0; i < 600; i++) {
      const m = raw.slice();
      const at = (r[2 * i] | (r[2 * i + 1] << 8)) % m.length;
      m[at] ^= 1 << (r[i + 5000] & 7);
      sameInflate(m, 0, 1 << 20);
    }
    for (let i = 0; i < 300; i++) sameInflate(noise(1 + (r[i] % 200) * 7, 1000 + i), 0, 1 << 16);
  });

  it('crafted streams: bad block type, too far, over-subscribed, bad codes', () => {
    const cases = [
      Uint8Array.of(0b111), // final, reserved type 3
      Uint8Array.of(0x03, 0x00), // a static block with only its end code
      Uint8Array.of(0x01, 0x05, 0x00, 0xfa, 0xff, 1, 2, 3, 4, 5), // stored, 5 bytes
      Uint8Array.of(0x01, 0x05, 0x00, 0xfa, 0xfe, 1, 2, 3, 4, 5), // stored, bad NLEN
      Uint8Array.of(0x01, 0x05, 0x00, 0xfa, 0xff, 1, 2), // stored, cut short
      // static: length code 257 at the start, distance 1: before the start of the output
      Uint8Array.of(0x03, 0x02, 0x00),
      // dynamic, HCLEN 19 with every code length 1: over-subscribed
      Uint8Array.of(0x05, 0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
      // dynamic, HLIT 287 (> 286)
      Uint8Array.of(0x05 | (30 << 3), 0x00, 0x00, 0x00),
      Uint8Array.of(0xff, 0xff, 0xff, 0xff),
      new Uint8Array(0),
    ];
    for (const c of cases) {
      sameInflate(c, 0, 1 << 16);
      sameInflate(c, 0, 3, 3);
    }
    // A stored block after a Huffman block whose end code was read with a whole byte to spare.
    for (let count = 0; count < 16; count++) {
      const stream = dynamicThenStored(count, [7, 8, 9]);
      sameInflate(stream, 0, 1 << 20);
      expect(
        sameBytes(codec.inflateRaw(stream, 0, 1 << 20).data, new Uint8Array(inflateRawSync(stream))),
      ).toBe(true);
    }
    // Offsets past the input, and a fixed-block distance code 30/31.
    sameInflate(raw, raw.length + 5, 100);
    sameInflate(Uint8Array.of(0x63, 0x00, 0x3e, 0x00), 0, 100);
  });
});
