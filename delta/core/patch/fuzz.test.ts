import { describe, expect, it } from 'vitest';
import { gnuTarBytes, noise } from '../../node/testing/fixtures.js';
import { applyInMemory, makePatch } from '../../node/testing/patch.js';
import { isDeltaError, sameBytes } from '../errors.js';

// Mutates real patches thousands of times (seeded, so a failure replays): every mutant must
// either rebuild NEW exactly or fail with a DeltaError; never another exception, never a
// different output. Bounded: a fixed number of mutants of a few-KiB patch.
function* mutants(patch: Uint8Array, count: number, seed: number) {
  let x = seed;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  for (let i = 0; i < count; i++) {
    const m = patch.slice();
    const kind = rnd(4);
    if (kind === 0) m[rnd(m.length)] ^= 1 << rnd(8);
    else if (kind === 1) m[rnd(m.length)] = rnd(256);
    else if (kind === 2) for (let k = 0; k < 4; k++) m[rnd(m.length)] = rnd(256);
    else {
      // Corrupt a run in the head or the first streams, where the structure is.
      const at = rnd(Math.min(m.length, 400));
      for (let k = 0; k < 8 && at + k < m.length; k++) m[at + k] = rnd(256);
    }
    yield m;
  }
}

function fuzz(old: Uint8Array, nw: Uint8Array, count: number, seed: number) {
  const patch = makePatch(old, nw);
  let rejected = 0;
  let rebuilt = 0;
  for (const m of mutants(patch, count, seed)) {
    try {
      const out = applyInMemory(old, m, { maxTargetBytes: 1 << 24, maxFileBytes: 1 << 24 });
      if (!sameBytes(out, nw)) throw new Error('a mutant rebuilt other bytes without an error');
      rebuilt++;
    } catch (e) {
      if (!isDeltaError(e)) throw new Error(`mutant threw a non-delta error: ${String(e)}`);
      rejected++;
    }
  }
  return { rejected, rebuilt };
}

describe('fuzz: mutated patches', () => {
  it('whole-file patches: 1200 mutants end in a rebuild or a DeltaError', () => {
    const old = noise(6000, 21);
    const nw = Uint8Array.from(old, (b, i) => (i % 301 === 0 ? 0 : b));
    const r = fuzz(old, nw, 1200, 12345);
    expect(r.rejected).toBeGreaterThan(800);
  });

  it('tar patches: 1200 mutants end in a rebuild or a DeltaError', () => {
    const old = gnuTarBytes({ 'a/x.bin': noise(5000, 1), 'a/y.txt': 'hello\n', 'b/z': noise(700, 2) });
    const nw = gnuTarBytes({
      'a/x.bin': noise(5000, 1).map((b, i) => (i % 500 ? b : 1)),
      'a/y.txt': 'hello there\n',
      'c/new': noise(300, 9),
    });
    const r = fuzz(old, nw, 1200, 999);
    expect(r.rejected).toBeGreaterThan(800);
  });
});
