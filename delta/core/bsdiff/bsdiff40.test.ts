import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assembleBsdiff40, decodeBsdiff40, encodeBsdiff40Parts, offtin, offtout } from './bsdiff40.js';
import { bsdiff } from './diff.js';
import { isBsdiffError } from './errors.js';
import { bspatch } from './patch.js';
import { mutate, randomBytes, xorshift } from './testing/random.js';

// bzip2 (host tool, scripts/packages) writes the blocks, as delta/node/bsdiff40 does.
const bzip2 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(execFileSync('bzip2', ['-9', '-c'], { input: data }));
const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const limits = { maxNewSize: 1 << 24 };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isBsdiffError(e)) return e.code;
    throw e;
  }
  return undefined;
}

function makePatch(oldBytes: Uint8Array, newBytes: Uint8Array): Uint8Array {
  const parts = encodeBsdiff40Parts(bsdiff(oldBytes, newBytes), newBytes.length);
  return assembleBsdiff40(
    { control: bzip2(parts.control), diff: bzip2(parts.diff), extra: bzip2(parts.extra) },
    newBytes.length,
  );
}

describe('BSDIFF40 codec', () => {
  const rnd = xorshift(21);
  const oldBytes = randomBytes(rnd, 4000, 32);
  const newBytes = mutate(rnd, oldBytes, 12);
  const patch = makePatch(oldBytes, newBytes);

  it('offtin/offtout round-trip sign-magnitude values and refuse 2^53 and above', () => {
    const b = new Uint8Array(8);
    for (const v of [
      0,
      1,
      -1,
      255,
      -256,
      2 ** 31,
      -(2 ** 40) - 7,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
    ]) {
      offtout(v, b, 0);
      expect(offtin(b, 0)).toBe(v);
    }
    expect(offtin(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x80), 0)).toBe(0); // "negative zero"
    expect(code(() => offtin(Uint8Array.of(0, 0, 0, 0, 0, 0, 0x20, 0), 0))).toBe('DELTA_CORRUPT');
    expect(code(() => offtin(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0))).toBe(
      'DELTA_CORRUPT',
    );
  });

  it('decodes what it encodes', () => {
    const { streams, newSize } = decodeBsdiff40(patch, limits);
    expect(same(bspatch(oldBytes, streams, newSize), newBytes)).toBe(true);
  });

  it('rejects every truncation with DELTA_CORRUPT', () => {
    for (let cut = 0; cut < patch.length; cut++)
      expect(code(() => decodeBsdiff40(patch.subarray(0, cut), limits))).toBe('DELTA_CORRUPT');
  });

  it('rejects hostile headers before decompressing', () => {
    const h = (at: number, v: number): Uint8Array => {
      const p = patch.slice();
      offtout(v, p, at);
      return p;
    };
    expect(code(() => decodeBsdiff40(h(24, 2 ** 40), limits))).toBe('DELTA_LIMIT');
    expect(code(() => decodeBsdiff40(h(24, -1), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeBsdiff40(h(8, -1), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeBsdiff40(h(8, patch.length), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeBsdiff40(h(16, 2 ** 52), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeBsdiff40(new TextEncoder().encode('BSDIFF41'.padEnd(40, '\0')), limits))).toBe(
      'DELTA_CORRUPT',
    );
  });

  it('refuses a control block that would expand past the limits (bomb)', () => {
    const controls = Array.from({ length: 50_000 }, () => ({ add: 0, copy: 0, seek: 0 }));
    const parts = encodeBsdiff40Parts({ controls, diff: new Uint8Array(0), extra: new Uint8Array(0) }, 0);
    const bomb = assembleBsdiff40(
      { control: bzip2(parts.control), diff: bzip2(parts.diff), extra: bzip2(parts.extra) },
      0,
    );
    expect(code(() => decodeBsdiff40(bomb, { maxNewSize: 10, maxControls: 1000 }))).toBe('DELTA_LIMIT');
  });

  it('turns random byte damage into a BsdiffError or a CRC-checked correct output', () => {
    for (let i = 0; i < 1500; i++) {
      const p = patch.slice();
      for (let k = 1 + (rnd() % 3); k > 0; k--) p[rnd() % p.length] = rnd();
      try {
        const { streams, newSize } = decodeBsdiff40(p, limits);
        expect(same(bspatch(oldBytes, streams, newSize), newBytes)).toBe(true);
      } catch (e) {
        expect(isBsdiffError(e)).toBe(true);
      }
    }
  });
});
