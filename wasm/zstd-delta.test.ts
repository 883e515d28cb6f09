import { beforeAll, describe, expect, it } from 'vitest';
import { compress, decompress } from 'zstd-napi';
import {
  bytesSource,
  CODEC_ZSTD,
  concatBytes,
  DEFAULT_LIMITS,
  decodeHead,
  STREAMS,
} from '../delta/core/index.js';
import { encodeHead, type StreamName } from '../delta/core/patch/format.js';
import { parseBlockHeader, parseFrameHeader } from '../delta/core/zstd/index.js';
import { applyInMemory, makePatch } from '../delta/node/testing/patch.js';
import { componentDelta, type DeltaEngine } from './adapters.js';
import { loadComponent } from './host.js';
import { corpus } from './testing/zstd.js';

// The shipped component decodes a patch's zstd streams with the C kernel (wasm/src/
// zstd-decoder.ts over wasm/kernels/zstd-kernel.c) where the Node path runs delta/core's
// TypeScript decoder. Real streams (multi-block, many windows, checksums, single-segment
// frames) must rebuild the same bytes; hostile ones must end in the same typed error as in Node,
// and the component must apply the next patch exactly (a trap would have killed the instance).

let kernels: DeltaEngine;
let old: Uint8Array;
let nu: Uint8Array;
let patch: Uint8Array;

beforeAll(async () => {
  kernels = componentDelta(await loadComponent('qjs-kernels'));
  old = corpus(1_500_000, 1);
  nu = old.slice();
  // Edits every 3 kB (bsdiff's diff stream), and new text (its extra stream).
  for (let i = 0; i < nu.length; i += 3001) nu[i] ^= 0x21;
  nu = concatBytes([nu.subarray(0, 700_000), corpus(400_000, 2), nu.subarray(700_000)]);
  patch = makePatch(old, nu);
}, 240_000);

const source = (b: Uint8Array) => ({ size: b.length, read: (o: number, n: number) => b.subarray(o, o + n) });

function inComponent(p: Uint8Array, o = old): Uint8Array {
  const parts: Uint8Array[] = [];
  kernels.apply(source(o), source(p), (c) => parts.push(c.slice()));
  return concatBytes(parts);
}

/** The error code (and message) of a failing call, or 'ok'. */
function outcome(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
    return { code: 'ok', message: '' };
  } catch (e) {
    return { code: (e as { code?: string }).code ?? String(e), message: (e as Error).message };
  }
}

const specsOf = (p: Uint8Array) => decodeHead(bytesSource(p), DEFAULT_LIMITS).specs;
const frameOf = (p: Uint8Array, name: StreamName) => {
  const s = specsOf(p)[name];
  return p.slice(s.offset, s.offset + s.compressedSize);
};
const rawOf = (p: Uint8Array, name: StreamName) =>
  specsOf(p)[name].codec === CODEC_ZSTD ? new Uint8Array(decompress(frameOf(p, name))) : frameOf(p, name);

/** The patch with some streams replaced by other zstd frames (and, for hostile tests, sizes). */
function restream(
  p: Uint8Array,
  changes: Partial<Record<StreamName, { frame: Uint8Array; rawSize?: number }>>,
): Uint8Array {
  const { head, specs } = decodeHead(bytesSource(p), DEFAULT_LIMITS);
  const parts = STREAMS.map(
    (n) => changes[n]?.frame ?? p.subarray(specs[n].offset, specs[n].offset + specs[n].compressedSize),
  );
  const streams = Object.fromEntries(
    STREAMS.map((n, i) => [
      n,
      {
        codec: changes[n] ? CODEC_ZSTD : specs[n].codec,
        compressedSize: parts[i].length,
        rawSize: changes[n]?.rawSize ?? specs[n].rawSize,
      },
    ]),
  ) as typeof head.streams;
  return concatBytes([encodeHead({ ...head, streams }), ...parts]);
}

interface Block {
  at: number;
  body: number;
  size: number;
  type: number;
}
function blocksOf(frame: Uint8Array): Block[] {
  const out: Block[] = [];
  for (let at = parseFrameHeader(frame, 'test', 1 << 27).headerSize; at < frame.length; ) {
    const b = parseBlockHeader(frame.subarray(at), 'test');
    out.push({ at, body: at + 3, size: b.bodySize, type: b.type });
    at += b.wireSize;
    if (b.last) break;
  }
  return out;
}

/** Offsets in a compressed block: its literals header's size and type, and where sequences start. */
function sections(f: Uint8Array, b: Block) {
  const b0 = f[b.body];
  const litType = b0 & 3;
  const sf = (b0 >> 2) & 3;
  const p = b.body;
  let hdr: number;
  let len: number;
  if (litType < 2) {
    // raw (the literals follow) or RLE (one byte follows): 1, 2 or 3 header bytes.
    hdr = (sf & 1) === 0 ? 1 : sf === 1 ? 2 : 3;
    const regen =
      hdr === 1
        ? b0 >> 3
        : hdr === 2
          ? (b0 >> 4) + (f[p + 1] << 4)
          : (b0 >> 4) + (f[p + 1] << 4) + (f[p + 2] << 12);
    len = litType === 0 ? regen : 1;
  } else if (sf < 2) {
    hdr = 3;
    len = (f[p + 1] >> 6) | (f[p + 2] << 2);
  } else if (sf === 2) {
    hdr = 4;
    len = (f[p + 2] >> 2) | (f[p + 3] << 6);
  } else {
    hdr = 5;
    len = (f[p + 2] >> 6) | (f[p + 3] << 2) | (f[p + 4] << 10);
  }
  let seq = b.body + hdr + len;
  const n0 = f[seq];
  seq += n0 < 128 ? 1 : n0 < 255 ? 2 : 3;
  return { litType, tree: b.body + hdr, nbSeq: n0, modes: seq };
}

describe('zstd streams decoded by the C kernel in the component', () => {
  it('rebuild a multi-block patch like the Node path', () => {
    expect(blocksOf(frameOf(patch, 'diff')).length).toBeGreaterThan(8);
    expect(Buffer.compare(inComponent(patch), nu)).toBe(0);
    expect(Buffer.compare(applyInMemory(old, patch), nu)).toBe(0);
  });

  it('rebuild streams that span many windows, with checksums and single-segment frames', () => {
    const diff = rawOf(patch, 'diff');
    const extra = rawOf(patch, 'extra');
    const ctrl = rawOf(patch, 'ctrl');
    expect(diff.length).toBeGreaterThan(8 << 17);
    const p = restream(patch, {
      // 2^17 windows: the kernel's history moves to the front of its buffer every block.
      diff: {
        frame: new Uint8Array(compress(diff, { compressionLevel: 19, windowLog: 17, checksumFlag: true })),
      },
      extra: {
        frame: new Uint8Array(
          compress(extra, { compressionLevel: 12, windowLog: 18, contentSizeFlag: false }),
        ),
      },
      // Content size known and small: one segment, the window is the content size.
      ctrl: { frame: new Uint8Array(compress(ctrl, { compressionLevel: 19 })) },
    });
    expect(parseFrameHeader(frameOf(p, 'ctrl'), 'ctrl', 1 << 27).windowSize).toBe(ctrl.length);
    expect(Buffer.compare(inComponent(p), nu)).toBe(0);
    expect(Buffer.compare(applyInMemory(old, p), nu)).toBe(0);
  });

  describe('hostile streams end in the Node path error and leave the component usable', () => {
    const expectLikeNode = (p: Uint8Array, code = 'DELTA_DECOMPRESS') => {
      const node = outcome(() => applyInMemory(old, p));
      const got = outcome(() => inComponent(p));
      expect(node.code).toBe(code);
      expect(got.code).toBe(code);
      expect(got.message).toMatch(/^stream \w+: zstd: /);
      expect(got.message).not.toContain('\n');
      // The instance survived: the next apply is exact.
      expect(Buffer.compare(inComponent(patch), nu)).toBe(0);
      return got.message;
    };

    it('a block cut short (its header says half its size)', () => {
      const f = frameOf(patch, 'extra');
      const b = blocksOf(f).find((x) => x.type === 2 && x.size > 1000) as Block;
      const half = b.size >> 1;
      const cut = concatBytes([
        f.subarray(0, b.at),
        f.subarray(b.at, b.body + half),
        f.subarray(b.body + b.size),
      ]);
      const v = (half << 3) | (2 << 1);
      cut.set([v & 255, (v >> 8) & 255, v >> 16], b.at);
      expectLikeNode(restream(patch, { extra: { frame: cut } }));
    });

    it('a corrupt Huffman table', () => {
      const f = frameOf(patch, 'extra');
      const b = blocksOf(f).find((x) => x.type === 2 && sections(f, x).litType === 2) as Block;
      f[sections(f, b).tree] = 0; // FSE-compressed weights of 0 bytes
      expectLikeNode(restream(patch, { extra: { frame: f } }));
    });

    it('a corrupt FSE table', () => {
      const f = frameOf(patch, 'extra');
      const b = blocksOf(f).find((x) => {
        if (x.type !== 2) return false;
        const s = sections(f, x);
        return s.nbSeq > 0 && ((f[s.modes] >> 6) & 3) === 2;
      }) as Block;
      const s = sections(f, b);
      f[s.modes + 1] |= 0x0f; // literal lengths' accuracy log 5 + 15
      expectLikeNode(restream(patch, { extra: { frame: f } }));
    });

    it('an offset beyond the window its frame declares', () => {
      const extra = rawOf(patch, 'extra');
      // The new text's second half repeats its first, 200 kB back.
      const far = concatBytes([extra.subarray(0, 200_000), extra.subarray(0, extra.length - 200_000)]);
      const f = new Uint8Array(
        compress(far, { compressionLevel: 19, windowLog: 20, contentSizeFlag: false }),
      );
      expect(parseFrameHeader(f, 'extra', 1 << 27).headerSize).toBe(6);
      f[5] = (17 - 10) << 3; // window descriptor: 128 KiB
      expectLikeNode(restream(patch, { extra: { frame: f } }));
    });

    it('a block that decodes past the stream declared size', () => {
      const ctrl = specsOf(patch).ctrl;
      // One RLE block of 128 KiB in a stream that declares a few hundred bytes.
      const v = ((128 << 10) << 3) | (1 << 1) | 1;
      const frame = Uint8Array.from([
        0x28,
        0xb5,
        0x2f,
        0xfd,
        0,
        (17 - 10) << 3,
        v & 255,
        (v >> 8) & 255,
        v >> 16,
        7,
      ]);
      expect(ctrl.rawSize).toBeLessThan(128 << 10);
      expect(expectLikeNode(restream(patch, { ctrl: { frame } }))).toContain('more than its declared size');
    });

    it('a declared size larger than the stream, in a window as large as the limit allows', () => {
      const ctrl = rawOf(patch, 'ctrl');
      const frame = new Uint8Array(
        compress(ctrl, { compressionLevel: 3, windowLog: 24, contentSizeFlag: false }),
      );
      const node = outcome(() => applyInMemory(old, restream(patch, { ctrl: { frame, rawSize: 1 << 30 } })));
      const got = outcome(() => inComponent(restream(patch, { ctrl: { frame, rawSize: 1 << 30 } })));
      expect(node.code).not.toBe('ok');
      expect(got.code).toBe(node.code);
      expect(Buffer.compare(inComponent(patch), nu)).toBe(0);
    });

    it('random damage: a typed error or the right bytes, never a dead instance', () => {
      const f = frameOf(patch, 'diff');
      let x = 99;
      const rnd = (n: number) => {
        x = (x * 1103515245 + 12345) >>> 0;
        return x % n;
      };
      const codes = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const g = f.slice();
        for (let j = rnd(3) + 1; j > 0; j--) g[6 + rnd(g.length - 6)] ^= 1 + rnd(255);
        const got = outcome(() => inComponent(restream(patch, { diff: { frame: g } })));
        codes.add(got.code);
        expect([
          'ok',
          'DELTA_DECOMPRESS',
          'DELTA_PATCH_INVALID',
          'DELTA_PATCH_TRUNCATED',
          'DELTA_OUTPUT_MISMATCH',
        ]).toContain(got.code);
      }
      expect(codes.has('DELTA_DECOMPRESS')).toBe(true);
      expect(Buffer.compare(inComponent(patch), nu)).toBe(0);
    });
  });
});
