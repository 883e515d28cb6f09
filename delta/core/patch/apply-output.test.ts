import { describe, expect, it } from 'vitest';
import { isDeltaError } from '../errors.js';
import { pureSha256, sha256Of } from '../hash.js';
import { concatBytes } from '../io.js';
import { ApplyOutput } from './apply-output.js';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('ApplyOutput', () => {
  it('hands the sink every byte in order, small pieces gathered, large ones as they are', () => {
    const pieces = [
      bytes(512, 1),
      bytes(100, 2),
      bytes(40_000, 3),
      bytes(7, 4),
      bytes(65_536, 5),
      bytes(0, 6),
    ];
    for (let i = 0; i < 300; i++) pieces.push(bytes(300 + i, i));
    const all = concatBytes(pieces);
    const got: Uint8Array[] = [];
    const progress: number[] = [];
    const hash = pureSha256();
    const out = new ApplyOutput(
      all.length,
      hash,
      (c) => got.push(c.slice()),
      (done) => progress.push(done),
    );
    for (const p of pieces) out.write(p);
    out.flush();
    expect(out.written).toBe(all.length);
    expect(concatBytes(got)).toEqual(all);
    expect(hash.digest()).toEqual(sha256Of(pureSha256, all));
    // Fewer sink calls than pieces: the small ones were gathered; the 40 000-byte one passed whole.
    expect(got.length).toBeLessThan(pieces.length / 10);
    expect(got.some((c) => c.length === 40_000)).toBe(true);
    expect(progress.at(-1)).toBe(all.length);
    expect(progress.every((d, i) => i === 0 || d > progress[i - 1])).toBe(true);
  });

  it('refuses a piece that would grow the output past its declared size', () => {
    const out = new ApplyOutput(1000, pureSha256(), () => {});
    out.write(bytes(600, 1));
    let err: unknown;
    try {
      out.write(bytes(401, 2));
    } catch (e) {
      err = e;
    }
    expect(isDeltaError(err) && err.code).toBe('DELTA_PATCH_INVALID');
    expect((err as Error).message).toBe('output grows past the declared 1000 bytes');
    expect(out.written).toBe(600);
  });
});
