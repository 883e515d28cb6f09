import { describe, expect, it } from 'vitest';
import { bsdiff, bsdiffScan, indexOld } from './diff.js';
import { bspatch, validateStreams } from './patch.js';
import { joinParts, SPLIT_MIN_BYTES, sharedRank, splitBsdiff, splitPoints } from './split.js';
import { concat, mutate, randomBytes, xorshift } from './testing/random.js';
import type { BsdiffStreams } from './types.js';

// toEqual walks typed arrays element by element (seconds per MB): compare as buffers.
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const sameStreams = (a: BsdiffStreams, b: BsdiffStreams): boolean =>
  JSON.stringify(a.controls) === JSON.stringify(b.controls) && same(a.diff, b.diff) && same(a.extra, b.extra);

/** The parts of NEW between `cuts`, each scanned against all of OLD, joined. */
const scanParts = (old: Uint8Array, nw: Uint8Array, cuts: number[], shortcut?: 'always' | 'never') => {
  const index = indexOld(old);
  const rank = sharedRank(index);
  const parts: BsdiffStreams[] = [];
  for (let k = 0; k + 1 < cuts.length; k++)
    parts.push(bsdiffScan(old, index, nw.subarray(cuts[k], cuts[k + 1]), { rank, shortcut }));
  return joinParts(parts);
};

const valid = (old: Uint8Array, nw: Uint8Array, s: BsdiffStreams) => {
  validateStreams(old.length, s, nw.length);
  expect(same(bspatch(old, s, nw.length), nw)).toBe(true);
};

describe('bsdiff scanned in parts', () => {
  it('cuts NEW in two halves from SPLIT_MIN_BYTES, by size alone', () => {
    expect(splitPoints(0)).toEqual([0, 0]);
    expect(splitPoints(SPLIT_MIN_BYTES - 1)).toEqual([0, SPLIT_MIN_BYTES - 1]);
    expect(splitPoints(SPLIT_MIN_BYTES + 1)).toEqual([0, SPLIT_MIN_BYTES / 2, SPLIT_MIN_BYTES + 1]);
  });

  it('joins parts into a valid patch that rebuilds NEW, wherever the cuts fall', () => {
    const rnd = xorshift(21);
    for (let round = 0; round < 40; round++) {
      const old = randomBytes(rnd, 1 + (rnd() % 20_000), [4, 16, 256][round % 3]);
      const nw = concat(mutate(rnd, old, rnd() % 40), randomBytes(rnd, rnd() % 300));
      const cuts = [0];
      for (let k = 1 + (rnd() % 4); k > 0 && nw.length > cuts[cuts.length - 1] + 1; k--)
        cuts.push(cuts[cuts.length - 1] + 1 + (rnd() % (nw.length - cuts[cuts.length - 1] - 1)));
      cuts.push(nw.length);
      valid(old, nw, scanParts(old, nw, cuts));
    }
  });

  it('costs only a few bytes at a cut, and one part is exactly bsdiff', () => {
    const rnd = xorshift(22);
    const old = randomBytes(rnd, 60_000, 16);
    const nw = mutate(rnd, old, 30);
    const whole = bsdiff(old, nw);
    expect(sameStreams(scanParts(old, nw, [0, nw.length]), whole)).toBe(true);
    const halves = scanParts(old, nw, [0, nw.length >> 1, nw.length]);
    valid(old, nw, halves);
    expect(halves.extra.length - whole.extra.length).toBeLessThan(64);
    expect(halves.controls.length - whole.controls.length).toBeLessThanOrEqual(2);
  });

  it('decides the same with and without the inverse-suffix-array shortcut', () => {
    const rnd = xorshift(23);
    const old = randomBytes(rnd, 80_000, 8);
    const nw = old.slice();
    for (let i = 0; i < nw.length; i += 7) nw[i] = (nw[i] + 1) & 0xff;
    const cuts = [0, 30_000, nw.length];
    const on = scanParts(old, nw, cuts, 'always');
    expect(sameStreams(on, scanParts(old, nw, cuts, 'never'))).toBe(true);
    valid(old, nw, on);
  });

  it('splitBsdiff is bsdiff below SPLIT_MIN_BYTES and the two halves above', () => {
    const rnd = xorshift(24);
    const small = randomBytes(rnd, 50_000, 32);
    const smallNew = mutate(rnd, small, 20);
    expect(sameStreams(splitBsdiff(small, smallNew), bsdiff(small, smallNew))).toBe(true);
    // Above the threshold: code-like OLD (a small alphabet repeats), edited in place.
    const old = randomBytes(rnd, SPLIT_MIN_BYTES + 100_000, 64);
    const nw = old.slice();
    for (let i = 0; i < nw.length; i += 4099) nw[i] ^= 0x11;
    const split = splitBsdiff(old, nw);
    valid(old, nw, split);
    // A second, separate computation of the same cut: the same streams.
    expect(sameStreams(split, scanParts(old, nw, splitPoints(nw.length)))).toBe(true);
  });
});
