import { describe, expect, it } from 'vitest';
import { decodeControls, encodeControls } from './controls.js';
import { isBsdiffError } from './errors.js';
import { xorshift } from './testing/random.js';
import type { BsdiffControl } from './types.js';

const limits = { maxEntries: 1_000_000 };

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isBsdiffError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('control list encoding', () => {
  it('round-trips edge values', () => {
    const controls: BsdiffControl[] = [
      { add: 0, copy: 0, seek: 0 },
      { add: 127, copy: 128, seek: -1 },
      { add: 2 ** 31, copy: 2 ** 32 + 5, seek: -(2 ** 40) },
      { add: Number.MAX_SAFE_INTEGER, copy: 1, seek: 2 ** 52 - 1 },
      { add: 1, copy: 0, seek: -(2 ** 52 - 1) },
    ];
    expect(decodeControls(encodeControls(controls), limits)).toEqual(controls);
    expect(decodeControls(encodeControls([]), limits)).toEqual([]);
    expect([...encodeControls([])]).toEqual([0]);
  });

  it('round-trips random lists', () => {
    const rnd = xorshift(3);
    for (let r = 0; r < 200; r++) {
      const list = Array.from({ length: rnd() % 50 }, () => ({
        add: rnd() % 100000,
        copy: rnd() % 300,
        seek: (rnd() % 2000000) - 1000000,
      }));
      expect(decodeControls(encodeControls(list), limits)).toEqual(list);
    }
  });

  it('refuses values it cannot encode', () => {
    expect(code(() => encodeControls([{ add: -1, copy: 0, seek: 0 }]))).toBe('DELTA_BAD_ARGUMENT');
    expect(code(() => encodeControls([{ add: 1.5, copy: 0, seek: 0 }]))).toBe('DELTA_BAD_ARGUMENT');
    expect(code(() => encodeControls([{ add: 0, copy: 0, seek: 2 ** 53 }]))).toBe('DELTA_BAD_ARGUMENT');
  });

  it('rejects every truncation and trailing byte with DELTA_CORRUPT', () => {
    const bytes = encodeControls([
      { add: 300, copy: 20000, seek: -70000 },
      { add: 5, copy: 0, seek: 9 },
    ]);
    for (let cut = 0; cut < bytes.length; cut++)
      expect(code(() => decodeControls(bytes.subarray(0, cut), limits))).toBe('DELTA_CORRUPT');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(code(() => decodeControls(longer, limits))).toBe('DELTA_CORRUPT');
  });

  it('rejects non-minimal, overlong and oversized varints', () => {
    expect(code(() => decodeControls(Uint8Array.of(0x80, 0x00), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeControls(Uint8Array.of(1, 0x81, 0x00, 0, 0), limits))).toBe('DELTA_CORRUPT');
    expect(code(() => decodeControls(new Uint8Array(9).fill(0xff), limits))).toBe('DELTA_CORRUPT');
    // 2^53 exactly: 7 continuation bytes then 0x10.
    const big = Uint8Array.of(1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0);
    expect(code(() => decodeControls(big, limits))).toBe('DELTA_CORRUPT');
  });

  it('enforces maxEntries and a count the bytes cannot hold before allocating', () => {
    const three = encodeControls(Array.from({ length: 3 }, () => ({ add: 1, copy: 1, seek: 1 })));
    expect(code(() => decodeControls(three, { maxEntries: 2 }))).toBe('DELTA_LIMIT');
    // Declares 2^40 entries in six bytes.
    const huge = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x20);
    expect(code(() => decodeControls(huge, { maxEntries: Number.MAX_SAFE_INTEGER }))).toBe('DELTA_CORRUPT');
  });
});
