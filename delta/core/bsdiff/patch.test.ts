import { describe, expect, it } from 'vitest';
import { bsdiff } from './diff.js';
import { isBsdiffError } from './errors.js';
import { bspatch, bspatchChunks } from './patch.js';
import { mutate, randomBytes, xorshift } from './testing/random.js';
import type { BsdiffControl, BsdiffStreams } from './types.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isBsdiffError(e)) return e.code;
    throw e;
  }
  return undefined;
}

const old = Uint8Array.from({ length: 100 }, (_, i) => i);
const streams = (controls: BsdiffControl[], diff = 0, extra = 0): BsdiffStreams => ({
  controls,
  diff: new Uint8Array(diff),
  extra: new Uint8Array(extra),
});

describe('bspatch validation of hostile controls', () => {
  const cases: [string, BsdiffStreams, number][] = [
    ['negative add', streams([{ add: -1, copy: 1, seek: 0 }]), 0],
    ['negative copy', streams([{ add: 2, copy: -1, seek: 0 }], 2), 1],
    ['add past old end', streams([{ add: 101, copy: 0, seek: 0 }], 101), 101],
    [
      'add before old start',
      streams(
        [
          { add: 0, copy: 0, seek: -5 },
          { add: 10, copy: 0, seek: 0 },
        ],
        10,
      ),
      10,
    ],
    [
      'seek then read past end',
      streams(
        [
          { add: 0, copy: 0, seek: 95 },
          { add: 10, copy: 0, seek: 0 },
        ],
        10,
      ),
      10,
    ],
    ['write past new end', streams([{ add: 5, copy: 5, seek: 0 }], 5, 5), 9],
    ['short of new size', streams([{ add: 5, copy: 0, seek: 0 }], 5), 6],
    ['diff stream too short', streams([{ add: 5, copy: 0, seek: 0 }], 4), 5],
    ['extra stream too short', streams([{ add: 0, copy: 5, seek: 0 }], 0, 4), 5],
    ['unused diff bytes', streams([{ add: 5, copy: 0, seek: 0 }], 6), 5],
    ['unused extra bytes', streams([{ add: 0, copy: 5, seek: 0 }], 0, 6), 5],
    ['fractional length', streams([{ add: 0.5, copy: 0, seek: 0 }]), 0],
    ['NaN seek', streams([{ add: 0, copy: 0, seek: Number.NaN }]), 0],
    ['unsafe seek', streams([{ add: 0, copy: 0, seek: 2 ** 60 }]), 0],
    [
      'cursor overflow',
      streams([
        { add: 0, copy: 0, seek: 2 ** 52 },
        { add: 0, copy: 0, seek: 2 ** 52 },
      ]),
      0,
    ],
    ['huge declared size', streams([{ add: 0, copy: 1, seek: 0 }], 0, 1), 2 ** 50],
    [
      'missing fields',
      { controls: [{} as BsdiffControl], diff: new Uint8Array(0), extra: new Uint8Array(0) },
      0,
    ],
  ];
  for (const [name, s, size] of cases) {
    it(`rejects ${name} with DELTA_CORRUPT before writing`, () => {
      expect(code(() => bspatch(old, s, size))).toBe('DELTA_CORRUPT');
      let calls = 0;
      expect(code(() => bspatchChunks(old, s, size, () => calls++))).toBe('DELTA_CORRUPT');
      expect(calls).toBe(0);
    });
  }

  it('rejects bad arguments with DELTA_BAD_ARGUMENT', () => {
    expect(code(() => bspatch(old, streams([]), -1))).toBe('DELTA_BAD_ARGUMENT');
    expect(code(() => bspatch(old, streams([]), 1.5))).toBe('DELTA_BAD_ARGUMENT');
    expect(code(() => bspatch(old, null as unknown as BsdiffStreams, 0))).toBe('DELTA_BAD_ARGUMENT');
    expect(code(() => bspatch([] as unknown as Uint8Array, streams([]), 0))).toBe('DELTA_BAD_ARGUMENT');
  });

  it('accepts a seek outside OLD when no old byte is read there, as bspatch does', () => {
    const s = streams([{ add: 0, copy: 3, seek: -1000 }], 0, 3);
    s.extra.set([7, 8, 9]);
    expect([...bspatch(old, s, 3)]).toEqual([7, 8, 9]);
  });

  it('fails fast on 100k hostile controls without allocating the declared output', () => {
    const controls = Array.from({ length: 100_000 }, () => ({ add: 0, copy: 0, seek: 1 }));
    controls.push({ add: 0, copy: 2 ** 40, seek: 0 });
    expect(code(() => bspatch(old, streams(controls), 2 ** 40))).toBe('DELTA_CORRUPT');
  });

  it('refuses each single mutated control of a real patch or rebuilds something of the right size', () => {
    const rnd = xorshift(11);
    const a = randomBytes(rnd, 3000, 16);
    const b = mutate(rnd, a, 15);
    const good = bsdiff(a, b);
    for (let i = 0; i < 300; i++) {
      const controls = good.controls.map((c) => ({ ...c }));
      const c = controls[rnd() % controls.length];
      const field = (['add', 'copy', 'seek'] as const)[rnd() % 3];
      c[field] += [-1, 1, -(2 ** 31), 2 ** 31, 1e6][rnd() % 5];
      try {
        expect(bspatch(a, { ...good, controls }, b.length).length).toBe(b.length);
      } catch (e) {
        expect(isBsdiffError(e)).toBe(true);
      }
    }
  });
});
