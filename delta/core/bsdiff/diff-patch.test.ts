import { describe, expect, it } from 'vitest';
import { bsdiff } from './diff.js';
import { isBsdiffError } from './errors.js';
import { bspatch, bspatchChunks, PATCH_CHUNK_BYTES } from './patch.js';
import { concat, mutate, randomBytes, xorshift } from './testing/random.js';
import type { BsdiffStreams } from './types.js';

function roundTrip(old: Uint8Array, nw: Uint8Array): BsdiffStreams {
  const streams = bsdiff(old, nw);
  const sumAdd = streams.controls.reduce((n, c) => n + c.add, 0);
  const sumCopy = streams.controls.reduce((n, c) => n + c.copy, 0);
  expect(sumAdd).toBe(streams.diff.length);
  expect(sumCopy).toBe(streams.extra.length);
  expect(bspatch(old, streams, nw.length)).toEqual(nw);
  const chunks: Uint8Array[] = [];
  bspatchChunks(old, streams, nw.length, (c) => {
    expect(c.length).toBeGreaterThan(0);
    expect(c.length).toBeLessThanOrEqual(PATCH_CHUNK_BYTES);
    chunks.push(c);
  });
  expect(concat(...chunks)).toEqual(nw);
  return streams;
}

describe('bsdiff / bspatch round trips', () => {
  it('handles empty, identical and one-sided inputs', () => {
    const some = randomBytes(xorshift(1), 5000);
    expect(roundTrip(new Uint8Array(0), new Uint8Array(0)).controls.length).toBe(0);
    const fromEmpty = roundTrip(new Uint8Array(0), some);
    expect(fromEmpty.extra).toEqual(some);
    const toEmpty = roundTrip(some, new Uint8Array(0));
    expect(toEmpty.diff.length + toEmpty.extra.length).toBe(0);
    const same = roundTrip(some, some);
    expect(same.extra.length).toBe(0);
    expect(same.diff.every((b) => b === 0)).toBe(true);
    roundTrip(Uint8Array.of(1), Uint8Array.of(2));
    roundTrip(Uint8Array.of(1), Uint8Array.of(1, 1));
  });

  it('rebuilds random mutations (property: bspatch(old, bsdiff(old, new)) == new)', () => {
    const rnd = xorshift(7);
    for (let round = 0; round < 150; round++) {
      const n = rnd() % 4000;
      const old = randomBytes(rnd, n, [2, 4, 16, 256][round % 4]);
      roundTrip(old, mutate(rnd, old, rnd() % 20));
      roundTrip(old, randomBytes(rnd, rnd() % 3000, 4));
    }
  });

  it('keeps the diff stream mostly zeros on a structured change', () => {
    const rnd = xorshift(9);
    const old = randomBytes(rnd, 200_000, 256);
    const nw = old.slice();
    // Shift a "pointer" field every 64 bytes, the way relinked code changes.
    for (let i = 0; i < nw.length; i += 64) nw[i] = (nw[i] + 3) & 0xff;
    const s = roundTrip(old, concat(randomBytes(rnd, 100), nw));
    const zeros = s.diff.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
    expect(zeros / s.diff.length).toBeGreaterThan(0.95);
    expect(s.extra.length).toBeLessThan(2000);
  });

  it('survives long runs and periodic data', () => {
    const zeros = new Uint8Array(300_000);
    const nz = zeros.slice();
    nz[150_000] = 1;
    roundTrip(zeros, nz);
    const periodic = Uint8Array.from({ length: 100_000 }, (_, i) => i % 7);
    roundTrip(periodic, concat(periodic.subarray(3), periodic.subarray(0, 50)));
  });

  it('rejects a non-Uint8Array input with a typed error', () => {
    try {
      bsdiff([1, 2] as unknown as Uint8Array, new Uint8Array(1));
      expect.unreachable();
    } catch (e) {
      expect(isBsdiffError(e) && e.code).toBe('DELTA_BAD_ARGUMENT');
    }
  });
});
