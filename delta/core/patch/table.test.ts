import { describe, expect, it } from 'vitest';
import { xorshift } from '../bsdiff/testing/random.js';
import { isDeltaError } from '../errors.js';
import { cbor } from './format.js';
import {
  decodeGenericTable,
  decodeTable,
  encodeTable,
  GZ_BASE_INFLATED,
  GZ_BASE_NONE,
  GZ_BASE_RAW,
  type Item,
  OP_BSDIFF,
  OP_GZIP,
  OP_LITERAL,
  OP_REF,
  type Table,
} from './table.js';
import { readPlainTable } from './table-plain.js';

// decodeTable reads tables as encodeTable writes them with its own reader (readPlainTable) and
// leaves everything else to cbor-x and the generic checks. These tests hold the two to one
// answer: the same items for every table either reads, the same error for every table refused.

/** As apply has them (cbor-x's encoder gives a Buffer in Node, and Buffer views compare unequal). */
const encode = (t: Table) => new Uint8Array(encodeTable(t));
const encodeRaw = (v: unknown) => new Uint8Array(cbor.encode(v));

/** Seeded integers below n (the project's xorshift, so a failure replays). */
const below = (seed: number) => {
  const next = xorshift(seed);
  return (n: number) => next() % n;
};

const digest = (seed: number) => Uint8Array.from({ length: 8 }, (_, i) => (seed * 31 + i * 7) & 0xff);

/** Values at every CBOR integer width, and past 32 bits (which cbor-x writes as float64). */
const WIDTHS = [0, 1, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3, 2 ** 53 - 1];

function sampleTable(rows: number, regions: number, seed = 1): Table {
  const rnd = below(seed);
  const size = () => (rnd(4) === 0 ? WIDTHS[rnd(WIDTHS.length)] : rnd(5000));
  // Old indexes jump back and forth, so relative indexes take every integer width, negative too.
  const index = () => (rnd(3) === 0 ? rnd(regions) : Math.min(regions - 1, rnd(regions)));
  const items: Item[] = [];
  for (let i = 0; i < rows; i++) {
    const metaBefore = [0, 512, 1024, 1536, size()][rnd(5)];
    const op = rnd(10);
    if (op < 6) items.push({ op: OP_REF, metaBefore, oldIndex: index() });
    else if (op < 8)
      items.push({
        op: OP_BSDIFF,
        metaBefore,
        oldIndex: index(),
        size: size(),
        ctrl: size(),
        diff: size(),
        extra: size(),
        sha256: digest(i),
      });
    else if (op < 9) items.push({ op: OP_LITERAL, metaBefore, size: size(), sha256: digest(i) });
    else {
      const base = [GZ_BASE_NONE, GZ_BASE_RAW, GZ_BASE_INFLATED][rnd(3)] as 0 | 1 | 2;
      items.push({
        op: OP_GZIP,
        metaBefore,
        base,
        oldIndex: base === GZ_BASE_NONE ? 0 : index(),
        size: size(),
        sha256: digest(i),
        level: rnd(10),
        headerSize: 10 + rnd(30),
        rawSize: size(),
        oldRawSize: base === GZ_BASE_INFLATED ? size() : 0,
        ctrl: size(),
        diff: size(),
        extra: size(),
      });
    }
  }
  const meta =
    rnd(2) === 0
      ? ({ op: 'literal', size: size() } as const)
      : ({ op: 'bsdiff', size: size(), ctrl: size(), diff: size(), extra: size() } as const);
  return { meta, items };
}

/** What a decoder answers: its table, or its error's code and message. */
function outcome(decode: () => Table): unknown {
  try {
    return decode();
  } catch (e) {
    if (!isDeltaError(e)) throw e;
    return { code: e.code, message: e.message };
  }
}

describe('entry table: the plain reader', () => {
  it('reads every table encodeTable writes as the generic decoder does', () => {
    for (const [rows, regions] of [
      [0, 1],
      [1, 1],
      [23, 40],
      [24, 40],
      [300, 100_000],
      [70_000, 300],
    ]) {
      const t = sampleTable(rows, regions, rows + 7);
      const bytes = encode(t);
      const plain = readPlainTable(bytes, regions);
      expect(plain).toBeDefined();
      expect(plain).toEqual(decodeGenericTable(bytes, regions));
      expect(plain).toEqual(t);
    }
  });

  it('leaves other encodings of a valid table to the generic decoder', () => {
    const ref = (metaBefore: number, rel: number) => [metaBefore, OP_REF, rel];
    // Indefinite-length arrays, a digest with a one-byte length, a float32 and a non-minimal integer.
    const variants: [string, Uint8Array][] = [
      ['indefinite rows', Uint8Array.of(0x82, 0x82, 0x00, 0x05, 0x9f, 0x83, 0x00, 0x00, 0x00, 0xff)],
      [
        'long digest head',
        Uint8Array.of(
          0x82,
          0x82,
          0x00,
          0x05,
          0x81,
          0x84,
          0x00,
          0x02,
          0x01,
          0x58,
          0x08,
          1,
          2,
          3,
          4,
          5,
          6,
          7,
          8,
        ),
      ],
      ['float32 size', Uint8Array.of(0x82, 0x82, 0x00, 0xfa, 0x40, 0xa0, 0x00, 0x00, 0x80)],
      [
        'non-minimal integer',
        Uint8Array.of(0x82, 0x82, 0x00, 0x18, 0x05, 0x81, 0x83, 0x18, 0x02, 0x00, 0x00),
      ],
      [
        'cbor-x itself',
        cbor.encode([
          [0, 5],
          [ref(512, 0), ref(0, -1)],
        ]),
      ],
    ];
    for (const [what, bytes] of variants) {
      const generic = decodeGenericTable(bytes, 4);
      expect(decodeTable(bytes, 4), what).toEqual(generic);
    }
    expect(readPlainTable(variants[0][1], 4)).toBeUndefined();
    expect(readPlainTable(variants[1][1], 4)).toBeUndefined();
  });

  it('refuses every cut of a table, one byte at a time, with the generic words', () => {
    const bytes = encode(sampleTable(40, 50, 3));
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      expect(readPlainTable(cut, 50)).toBeUndefined();
      const got = outcome(() => decodeTable(cut, 50));
      expect(got).toMatchObject({ code: 'DELTA_PATCH_INVALID' });
      expect(got).toEqual(outcome(() => decodeGenericTable(cut, 50)));
    }
  });

  it('answers 4000 mutated tables exactly as the generic decoder does', () => {
    const rnd = below(2024);
    const tables = [1, 2, 3, 4].map((s) => encode(sampleTable(30, 60, s)));
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const src = tables[i % tables.length];
      let m = src.slice();
      const kind = rnd(4);
      if (kind === 0) m[rnd(m.length)] ^= 1 << rnd(8);
      else if (kind === 1) m[rnd(m.length)] = rnd(256);
      else if (kind === 2) for (let k = 0; k < 3; k++) m[rnd(m.length)] = rnd(256);
      else {
        const at = rnd(m.length);
        m = Uint8Array.of(...m.subarray(0, at), rnd(256), ...m.subarray(at));
      }
      const regions = rnd(4) === 0 ? 1 + rnd(60) : 60;
      const got = outcome(() => decodeTable(m, regions));
      expect(got).toEqual(outcome(() => decodeGenericTable(m, regions)));
      if (!(got as Table).items) refused++;
    }
    expect(refused).toBeGreaterThan(1000);
  });

  it('names what is wrong in a hostile row', () => {
    const t = (rows: unknown[]) => encodeRaw([[0, 0], rows]);
    const cases: [unknown[], RegExp][] = [
      [[[0, OP_REF, 5]], /old file #5 does not exist \(OLD has 3\)/],
      [[[0, OP_REF, -1]], /old file #-1 does not exist/],
      [[[0, OP_LITERAL, 4, new Uint8Array(7)]], /bad file digest/],
      [[[0, 9, 0]], /unknown operation 9/],
      [[[-1, OP_REF, 0]], /meta length is not a size/],
      [[[0, OP_BSDIFF, 0, 10, 1, 2, 2 ** 53, digest(1)]], /extra is not a size/],
      [
        [[0, OP_GZIP, GZ_BASE_NONE, 1, 1, digest(1), 6, 10, 1, 0, 0, 0, 0]],
        /without a base names an old file/,
      ],
      [
        [[0, OP_GZIP, GZ_BASE_RAW, 0, 1, digest(1), 6, 10, 1, 5, 0, 0, 0]],
        /old content size without inflation/,
      ],
      [[[0, OP_REF, 0, 0]], /malformed reference row/],
    ];
    for (const [rows, message] of cases) {
      const bytes = t(rows);
      expect(readPlainTable(bytes, 3)).toBeUndefined();
      expect(() => decodeTable(bytes, 3)).toThrow(message);
      expect(outcome(() => decodeTable(bytes, 3))).toMatchObject({ code: 'DELTA_PATCH_INVALID' });
    }
  });
});
