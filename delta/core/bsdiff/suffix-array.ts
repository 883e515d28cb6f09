/**
 * Suffix array by SA-IS (Nong, Zhang & Chan, "Two Efficient Algorithms for Linear Time Suffix
 * Array Construction", 2009), on typed arrays only. The end-of-text sentinel is virtual (the
 * empty suffix, smaller than every byte), so the input is never copied to append one.
 *
 * Working memory beyond the 4(n+1)-byte result: n/8 bytes of type bits per level, a 256-entry
 * bucket table at level 0, and one bucket table per reduced level (at most n/2 entries, usually
 * far fewer); the reduced strings live inside the result array itself.
 */

type Text = Uint8Array | Int32Array;

/**
 * Returns SA with n+1 entries: SA[0] = n (the empty suffix), then the suffixes of `s` in
 * lexicographic order. This is the layout of qsufsort's `I` that bsdiff's search expects.
 */
export function suffixArray(s: Uint8Array, out?: Int32Array): Int32Array {
  const n = s.length;
  // `out` (n+1 entries, e.g. in memory shared with another thread) saves a copy of the result.
  const sa = out ?? new Int32Array(n + 1);
  if (sa.length !== n + 1) throw new RangeError(`suffixArray: out holds ${sa.length} entries, not ${n + 1}`);
  sa[0] = n;
  const counts = new Int32Array(256);
  for (let i = 0; i < n; i++) counts[s[i]]++;
  byteCounts = counts;
  try {
    sais(s, sa.subarray(1), n, 256);
  } finally {
    byteCounts = null;
  }
  return sa;
}

// Type bits: 1 = S-type (suffix smaller than its successor), 0 = L-type.
const isS = (t: Uint8Array, i: number): boolean => (t[i >> 3] & (1 << (i & 7))) !== 0;
const isLms = (t: Uint8Array, i: number): boolean => i > 0 && isS(t, i) && !isS(t, i - 1);

// The hot loops exist twice, for bytes (level 0) and for names (reduced levels): V8 keeps
// each copy monomorphic, which a shared Uint8Array | Int32Array version is not.
// Byte counts of the level-0 text, computed once instead of once per bucketBounds8 call (four
// full passes saved). Set and cleared by suffixArray, which runs synchronously to the end.
let byteCounts: Int32Array | null = null;

function bucketBounds8(s: Uint8Array, bkt: Int32Array, n: number, k: number, ends: boolean): void {
  if (byteCounts) bkt.set(byteCounts);
  else {
    bkt.fill(0);
    for (let i = 0; i < n; i++) bkt[s[i]]++;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    sum += bkt[c];
    bkt[c] = ends ? sum : sum - bkt[c];
  }
}

function induceL8(
  _t: Uint8Array,
  sa: Int32Array,
  s: Uint8Array,
  bkt: Int32Array,
  n: number,
  k: number,
): void {
  bucketBounds8(s, bkt, n, k, false);
  // The virtual sentinel sits before SA[0]; its predecessor n-1 is always L-type.
  sa[bkt[s[n - 1]]++] = n - 1;
  for (let i = 0; i < n; i++) {
    const j = sa[i] - 1;
    if (j >= 0) {
      // Every entry seen here is L-type or LMS, so j is L-type exactly when s[j] >= s[j+1]:
      // the neighbouring byte shares a cache line, the type bit would not.
      const c = s[j];
      if (c >= s[j + 1]) sa[bkt[c]++] = j;
    }
  }
}

function induceS8(t: Uint8Array, sa: Int32Array, s: Uint8Array, bkt: Int32Array, n: number, k: number): void {
  bucketBounds8(s, bkt, n, k, true);
  for (let i = n - 1; i >= 0; i--) {
    const j = sa[i] - 1;
    if (j >= 0) {
      const c = s[j];
      const d = s[j + 1];
      if (c < d || (c === d && (t[j >> 3] & (1 << (j & 7))) !== 0)) sa[--bkt[c]] = j;
    }
  }
}

function bucketBounds32(s: Int32Array, bkt: Int32Array, n: number, k: number, ends: boolean): void {
  bkt.fill(0);
  for (let i = 0; i < n; i++) bkt[s[i]]++;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    sum += bkt[c];
    bkt[c] = ends ? sum : sum - bkt[c];
  }
}

function induceL32(
  _t: Uint8Array,
  sa: Int32Array,
  s: Int32Array,
  bkt: Int32Array,
  n: number,
  k: number,
): void {
  bucketBounds32(s, bkt, n, k, false);
  // The virtual sentinel sits before SA[0]; its predecessor n-1 is always L-type.
  sa[bkt[s[n - 1]]++] = n - 1;
  for (let i = 0; i < n; i++) {
    const j = sa[i] - 1;
    if (j >= 0) {
      // Every entry seen here is L-type or LMS, so j is L-type exactly when s[j] >= s[j+1]:
      // the neighbouring byte shares a cache line, the type bit would not.
      const c = s[j];
      if (c >= s[j + 1]) sa[bkt[c]++] = j;
    }
  }
}

function induceS32(
  t: Uint8Array,
  sa: Int32Array,
  s: Int32Array,
  bkt: Int32Array,
  n: number,
  k: number,
): void {
  bucketBounds32(s, bkt, n, k, true);
  for (let i = n - 1; i >= 0; i--) {
    const j = sa[i] - 1;
    if (j >= 0) {
      const c = s[j];
      const d = s[j + 1];
      if (c < d || (c === d && (t[j >> 3] & (1 << (j & 7))) !== 0)) sa[--bkt[c]] = j;
    }
  }
}

const bucketBounds = (s: Text, bkt: Int32Array, n: number, k: number, ends: boolean): void =>
  s instanceof Uint8Array ? bucketBounds8(s, bkt, n, k, ends) : bucketBounds32(s, bkt, n, k, ends);
const induceL = (t: Uint8Array, sa: Int32Array, s: Text, bkt: Int32Array, n: number, k: number): void =>
  s instanceof Uint8Array ? induceL8(t, sa, s, bkt, n, k) : induceL32(t, sa, s, bkt, n, k);
const induceS = (t: Uint8Array, sa: Int32Array, s: Text, bkt: Int32Array, n: number, k: number): void =>
  s instanceof Uint8Array ? induceS8(t, sa, s, bkt, n, k) : induceS32(t, sa, s, bkt, n, k);

/** Sorts the suffixes of s[0..n) over the alphabet [0, k) into sa[0..n). */
function sais(s: Text, sa: Int32Array, n: number, k: number): void {
  if (n === 0) return;
  if (n === 1) {
    sa[0] = 0;
    return;
  }
  const t = new Uint8Array((n >> 3) + 1);
  // s[n-1] is L-type (greater than the sentinel); classify the rest right to left.
  if (s instanceof Uint8Array) classify8(s, t, n);
  else classify32(s, t, n);

  // Stage 1: sort the LMS substrings by induction from their unsorted bucket ends.
  let bkt = new Int32Array(k);
  bucketBounds(s, bkt, n, k, true);
  sa.fill(-1, 0, n); // with explicit bounds: on a subarray, fill(-1) alone took 20x longer (V8, measured)
  if (s instanceof Uint8Array) placeLms8(s, t, sa, bkt, n);
  else placeLms32(s, t, sa, bkt, n);
  induceL(t, sa, s, bkt, n, k);
  induceS(t, sa, s, bkt, n, k);

  // Compact the sorted LMS positions into sa[0..n1); n1 <= n/2 since LMS are >= 2 apart.
  let n1 = 0;
  for (let i = 0; i < n; i++) if (isLms(t, sa[i])) sa[n1++] = sa[i];

  // Name the LMS substrings; equal substrings get equal names. Names go to sa[n1 + pos/2].
  // First store each substring's length there (Mori's trick): equal substrings have equal
  // lengths and bytes, and then equal types too, so no type bits are read while comparing.
  sa.fill(-1, n1, n);
  let lastLms = n; // the virtual sentinel
  for (let i = n - 1; i >= 1; i--) {
    if (isLms(t, i)) {
      // The one substring that runs into the sentinel is unique: length 0 marks it.
      sa[n1 + (i >> 1)] = lastLms === n ? 0 : lastLms - i + 1;
      lastLms = i;
    }
  }
  const name = s instanceof Uint8Array ? nameSubstrings8(s, sa, n1) : nameSubstrings32(s, sa, n1);
  for (let i = n - 1, j = n - 1; i >= n1; i--) if (sa[i] >= 0) sa[j--] = sa[i];

  // Stage 2: sort the reduced string (its own virtual sentinel is below every name).
  const sa1 = sa.subarray(0, n1);
  const s1 = sa.subarray(n - n1, n);
  if (name < n1) {
    bkt = new Int32Array(0); // let the bucket table go during the recursion
    sais(s1, sa1, n1, name);
  } else {
    for (let i = 0; i < n1; i++) sa1[s1[i]] = i;
  }

  // Stage 3: place the sorted LMS suffixes at their bucket ends and induce the rest.
  if (bkt.length !== k) bkt = new Int32Array(k);
  bucketBounds(s, bkt, n, k, true);
  for (let i = 1, j = 0; i < n; i++) if (isLms(t, i)) s1[j++] = i;
  for (let i = 0; i < n1; i++) sa1[i] = s1[sa1[i]];
  sa.fill(-1, n1, n);
  if (s instanceof Uint8Array) placeSorted8(s, sa, bkt, n1);
  else placeSorted32(s, sa, bkt, n1);
  induceL(t, sa, s, bkt, n, k);
  induceS(t, sa, s, bkt, n, k);
}

function classify8(s: Uint8Array, t: Uint8Array, n: number): void {
  let nextS = false;
  let b = s[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    const a = s[i];
    nextS = a < b || (a === b && nextS);
    if (nextS) t[i >> 3] |= 1 << (i & 7);
    b = a;
  }
}

function classify32(s: Int32Array, t: Uint8Array, n: number): void {
  let nextS = false;
  let b = s[n - 1];
  for (let i = n - 2; i >= 0; i--) {
    const a = s[i];
    nextS = a < b || (a === b && nextS);
    if (nextS) t[i >> 3] |= 1 << (i & 7);
    b = a;
  }
}

/** Names the sorted LMS substrings in sa[0..n1) whose lengths sit at sa[n1 + pos/2]; returns the name count. */
function nameSubstrings8(s: Uint8Array, sa: Int32Array, n1: number): number {
  let name = 0;
  let prev = -1;
  let prevLen = 0;
  for (let i = 0; i < n1; i++) {
    const pos = sa[i];
    const len = sa[n1 + (pos >> 1)];
    let same = len === prevLen && len !== 0 && prev >= 0;
    for (let d = 0; same && d < len; d++) if (s[pos + d] !== s[prev + d]) same = false;
    if (!same) {
      name++;
      prev = pos;
      prevLen = len;
    }
    sa[n1 + (pos >> 1)] = name - 1;
  }
  return name;
}

function nameSubstrings32(s: Int32Array, sa: Int32Array, n1: number): number {
  let name = 0;
  let prev = -1;
  let prevLen = 0;
  for (let i = 0; i < n1; i++) {
    const pos = sa[i];
    const len = sa[n1 + (pos >> 1)];
    let same = len === prevLen && len !== 0 && prev >= 0;
    for (let d = 0; same && d < len; d++) if (s[pos + d] !== s[prev + d]) same = false;
    if (!same) {
      name++;
      prev = pos;
      prevLen = len;
    }
    sa[n1 + (pos >> 1)] = name - 1;
  }
  return name;
}

/** Stage 1: every LMS position at the end of its bucket, in text order. */
function placeLms8(s: Uint8Array, t: Uint8Array, sa: Int32Array, bkt: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) if (isLms(t, i)) sa[--bkt[s[i]]] = i;
}

function placeLms32(s: Int32Array, t: Uint8Array, sa: Int32Array, bkt: Int32Array, n: number): void {
  for (let i = 1; i < n; i++) if (isLms(t, i)) sa[--bkt[s[i]]] = i;
}

/** Stage 3: the sorted LMS suffixes in sa[0..n1) move to their bucket ends, largest first. */
function placeSorted8(s: Uint8Array, sa: Int32Array, bkt: Int32Array, n1: number): void {
  for (let i = n1 - 1; i >= 0; i--) {
    const j = sa[i];
    sa[i] = -1;
    sa[--bkt[s[j]]] = j;
  }
}

function placeSorted32(s: Int32Array, sa: Int32Array, bkt: Int32Array, n1: number): void {
  for (let i = n1 - 1; i >= 0; i--) {
    const j = sa[i];
    sa[i] = -1;
    sa[--bkt[s[j]]] = j;
  }
}
