// Apply with bspatch's add step behind the AddBytes port (the wasm build's kernel), against the
// default loop: the same output byte for byte, output in chunks of at most 64 KiB whatever the
// controls look like (the component hashes and writes each chunk through its WIT glue, so one
// tiny chunk per control was ~100k calls on a real update), and one port call per piece.
import { describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../node/hash.js';
import { gnuTarBytes, noise } from '../../node/testing/fixtures.js';
import { makePatch } from '../../node/testing/patch.js';
import type { Sha256Factory } from '../hash.js';
import { bytesSource, concatBytes } from '../io.js';
import { applyPatch } from './apply.js';
import { decodeHead } from './format.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { AddBytes } from './stream-bspatch.js';

/** A layer whose changed files make many short controls (a few bytes inserted every ~300) and long ones. */
function layers() {
  const oldSpec: Record<string, Uint8Array> = {};
  const newSpec: Record<string, Uint8Array> = {};
  for (let i = 0; i < 6; i++) {
    const o = noise((40 << 10) + i * 7919, 10 + i);
    // Inserted bytes end a match: each makes a control with a copy (extra) run.
    const step = i % 2 ? 307 : 20_000;
    const parts: Uint8Array[] = [];
    for (let at = 0; at < o.length; at += step) {
      const piece = o.slice(at, Math.min(o.length, at + step));
      piece[0] ^= 0x3c;
      parts.push(piece, noise(3 + (at % 5), at + i));
    }
    oldSpec[`lib/f${i}.so`] = o;
    newSpec[`lib/f${i}.so`] = concatBytes(parts);
  }
  const big = noise(200 << 10, 5);
  const bigNew = big.slice();
  bigNew[150_000] ^= 1;
  oldSpec['bin/big'] = big;
  newSpec['bin/big'] = bigNew;
  return { old: gnuTarBytes(oldSpec), nw: gnuTarBytes(newSpec) };
}

function run(old: Uint8Array, patch: Uint8Array, addBytes?: AddBytes, views = false) {
  const p = bytesSource(patch);
  const chunks: number[] = [];
  const parts: Uint8Array[] = [];
  let updates = 0;
  const sha256: Sha256Factory = () => {
    const h = nodeSha256();
    return {
      update: (b) => {
        updates++;
        h.update(b);
      },
      digest: () => h.digest(),
    };
  };
  applyPatch({
    patch: p,
    // A source of views (the wasm engine's host blobs) gets OLD's pages kept as views.
    old: views
      ? { size: old.length, read: (o: number, n: number) => old.subarray(o, o + n), views }
      : bytesSource(old),
    decoded: decodeHead(p, DEFAULT_LIMITS),
    sha256,
    limits: DEFAULT_LIMITS,
    addBytes,
    sink: (c) => {
      chunks.push(c.length);
      parts.push(c.slice());
    },
  });
  return { out: concatBytes(parts), chunks, updates };
}

describe('apply through the AddBytes port', () => {
  const { old, nw } = layers();
  const patch = makePatch(old, nw);
  let calls = 0;
  let added = 0;
  const addBytes: AddBytes = (diff, base) => {
    calls++;
    expect(diff.length).toBe(base.length);
    added += diff.length;
    const out = new Uint8Array(diff.length);
    for (let i = 0; i < out.length; i++) out[i] = diff[i] + base[i];
    return out;
  };
  const plain = run(old, patch);
  const ported = run(old, patch, addBytes);
  const addedOnce = added;

  it('rebuilds the same bytes as the default loop', () => {
    expect(calls).toBeGreaterThan(100);
    expect(Buffer.from(ported.out).equals(Buffer.from(nw))).toBe(true);
    expect(Buffer.from(plain.out).equals(Buffer.from(nw))).toBe(true);
  });

  it('gathers the output into chunks of at most 64 KiB, not one per control', () => {
    expect(Math.max(...ported.chunks)).toBeLessThanOrEqual(1 << 16);
    // The same number of hash updates as the default loop, give or take the odd 64 KiB run
    // that leaves on its own: far fewer than there are add calls.
    expect(ported.updates).toBeLessThan(plain.updates + 8);
    expect(ported.updates).toBeLessThan(calls / 4);
  });

  it('rebuilds the same bytes from a source of views (OLD kept in pages)', () => {
    expect(Buffer.from(run(old, patch, addBytes, true).out).equals(Buffer.from(nw))).toBe(true);
    expect(Buffer.from(run(old, patch, undefined, true).out).equals(Buffer.from(nw))).toBe(true);
  });

  it('calls the port once per piece: each diff byte once', () => {
    const adds = decodeHead(bytesSource(patch), DEFAULT_LIMITS).head.streams.diff.rawSize;
    expect(addedOnce).toBe(adds);
  });
});
