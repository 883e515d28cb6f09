import { concatBytes } from '../../io.js';
/** Deterministic generator for test data (the pure core has no Math.random; tests follow suit). */
export function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

export function randomBytes(rnd: () => number, n: number, alphabet = 256): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() % alphabet;
  return out;
}

/** NEW made from OLD the way real versions differ: edits, insertions, deletions, moved blocks. */
export function mutate(rnd: () => number, old: Uint8Array, edits: number): Uint8Array {
  let cur = old;
  for (let e = 0; e < edits; e++) {
    const at = cur.length ? rnd() % (cur.length + 1) : 0;
    const kind = rnd() % 5;
    const len = 1 + (rnd() % 64);
    if (kind === 0) {
      const c = cur.slice();
      for (let i = at; i < Math.min(c.length, at + len); i++) c[i] = rnd();
      cur = c;
    } else if (kind === 1) {
      cur = concat(cur.subarray(0, at), randomBytes(rnd, len), cur.subarray(at));
    } else if (kind === 2) {
      cur = concat(cur.subarray(0, at), cur.subarray(Math.min(cur.length, at + len)));
    } else if (kind === 3 && cur.length > 0) {
      const from = rnd() % cur.length;
      cur = concat(cur.subarray(0, at), cur.subarray(from, from + len * 8), cur.subarray(at));
    } else {
      const c = cur.slice();
      for (let i = at; i < Math.min(c.length, at + len * 4); i += 4) c[i] = (c[i] + 1) & 0xff;
      cur = c;
    }
  }
  return cur;
}

export const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);
