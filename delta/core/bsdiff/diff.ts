import { BsdiffError } from './errors.js';
import { suffixArray } from './suffix-array.js';
import type { BsdiffControl, BsdiffStreams } from './types.js';

/**
 * Colin Percival's bsdiff (4.3) scan over a suffix array of OLD: find approximate matches,
 * emit `add` bytes as byte-wise differences against OLD (mostly zeros, so they compress) and
 * the unmatched rest as `extra`. The decisions are Percival's, so patch sizes match his.
 *
 * Memory beyond the inputs: the suffix array and its inverse (4 + 4 bytes per OLD byte), one
 * NEW-sized buffer for the diff stream, and the extra stream.
 *
 * Speed: where OLD and NEW are similar but not equal (relinked code), Percival's loop searches
 * the suffix array at every NEW byte, and most of those searches (56% on mariadbd) answer the
 * previous match shifted by one byte. The inverse suffix array gives that candidate's rank, so
 * two neighbouring comparisons confirm it instead of ~16 cache-missing binary-search steps. A
 * confirmed candidate is the same insertion point the binary search finds, so the decisions
 * (and the patch bytes) are exactly Percival's.
 */
export function bsdiff(
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  options: BsdiffOptions = {},
): BsdiffStreams {
  checkInputs(oldBytes, newBytes);
  return bsdiffScan(oldBytes, indexOld(oldBytes), newBytes, options);
}

/** What the scan searches OLD with: its suffix array and the bucket table into it. */
export interface OldIndex {
  readonly sa: Int32Array;
  readonly bucket: Int32Array;
  /** 1-byte buckets (small OLDs) instead of 2-byte ones. */
  readonly narrow: boolean;
}

export function indexOld(old: Uint8Array, sa = suffixArray(old)): OldIndex {
  // Small OLDs search from 1-byte buckets: the 2-byte table (65536 entries) costs more to set
  // up than it saves (libc6 has 273 changed files, most of them small).
  const narrow = old.length < NARROW_BUCKETS_BELOW;
  return { sa, bucket: narrow ? prefixBuckets1(old) : prefixBuckets(old), narrow };
}

export const checkInputs = (oldBytes: unknown, newBytes: unknown): void => {
  if (!(oldBytes instanceof Uint8Array) || !(newBytes instanceof Uint8Array))
    throw new BsdiffError('DELTA_BAD_ARGUMENT', 'bsdiff takes two Uint8Arrays (old, new)');
};

/**
 * The scan of `bsdiff` over an index of OLD made beforehand, so that several scans (parts of
 * one NEW, see split.ts) share one suffix array.
 */
export function bsdiffScan(
  old: Uint8Array,
  index: OldIndex,
  nw: Uint8Array,
  options: ScanOptions = {},
): BsdiffStreams {
  const { sa, bucket, narrow } = index;
  const oldSize = old.length;
  const newSize = nw.length;
  // The shortcut pays where the shifted previous match often is the answer (56% of the
  // searches on mariadbd, 30% on python3.11 and 8% on esbuild's Go binary, where the inverse's
  // random-write pass over OLD and failed tries cost more than they save). `hits` is a running estimate of that
  // share, taken from every search's answer; the inverse is built once the share over all
  // searches so far is high, and the shortcut is tried only while the running share stays so.
  let rank: Int32Array | undefined;
  const minSearches =
    options.shortcut === 'always' ? -1 : options.shortcut === 'never' ? Infinity : (oldSize >> 4) + 64;
  const buildAt = options.shortcut === 'always' ? -1 : BUILD_RANK_AT;
  const tryAt = options.shortcut === 'always' ? -1 : TRY_SHORTCUT_AT;
  let searches = 0;
  let hitsSoFar = 0;
  let hits = 0;
  const db = new Uint8Array(newSize);
  const controls: BsdiffControl[] = [];

  let dblen = 0;
  let eblen = 0;
  let scan = 0;
  let len = 0;
  let pos = 0;
  let lastscan = 0;
  let lastpos = 0;
  let lastoffset = 0;
  let prevScan = -2;
  let prevPos = 0;
  let prevLen = 0;
  let prevStPos = 0;
  let prevStLcp = 0;
  let prevEnPos = 0;
  let prevEnLcp = 0;

  while (scan < newSize) {
    let oldscore = 0;
    scan += len;
    let scsc = scan;
    for (; scan < newSize; scan++) {
      // Longest match of new[scan..] in OLD: the insertion point of new[scan..] among OLD's
      // sorted suffixes lies between ranks st and en; the longer of their matches wins.
      const newRest = newSize - scan;
      let st = -1;
      let en = 0;
      let lst = 0;
      let len0 = 0;
      // Suffixes of the previous bracket, shifted by a byte, share exactly one byte less with
      // new[scan..] than they did: comparisons of them resume there instead of at byte 0 (long
      // nearly-aligned matches otherwise cost O(len) per NEW byte: 1.7 G compares on mariadbd).
      const shifted = scan === prevScan + 1;
      const aPos = shifted && prevStLcp > 0 ? prevStPos + 1 : -1;
      const aLcp = prevStLcp - 1;
      const bPos = shifted && prevEnLcp > 0 ? prevEnPos + 1 : -1;
      const bLcp = prevEnLcp - 1;
      const eligible = shifted && prevLen >= 2;
      if (rank === undefined) {
        if (++searches > minSearches && hitsSoFar > buildAt * searches)
          rank = options.rank ? options.rank(true) : inverse(sa);
        // An inverse that another scan over this index built is free to use: ask now and then.
        else if (options.rank && (searches & 1023) === 1 && minSearches !== Infinity)
          rank = options.rank(false);
      }
      if (rank !== undefined && eligible && hits > tryAt) {
        // The previous match shifted by a byte shares prevLen - 1 bytes with new[scan..]: if
        // the insertion point sits right beside its rank q, two comparisons find it.
        const p = prevPos + 1;
        const q = rank[p];
        const k = extend(old, p, nw, scan, prevLen - 1);
        if (lessThan(old, p, k, nw, scan)) {
          // q == oldSize would be past the last suffix: the binary search clamps that case.
          if (q < oldSize) {
            const u = sa[q + 1];
            const k1 = extend(old, u, nw, scan, u === aPos ? aLcp : u === bPos ? bLcp : 0);
            if (!lessThan(old, u, k1, nw, scan)) {
              st = q;
              en = q + 1;
              lst = k;
              len0 = k1;
            }
          }
        } else {
          // q >= 1: rank 0 is the empty suffix, smaller than any non-empty new[scan..].
          const u = sa[q - 1];
          const k0 = extend(old, u, nw, scan, u === aPos ? aLcp : u === bPos ? bLcp : 0);
          if (lessThan(old, u, k0, nw, scan)) {
            st = q - 1;
            en = q;
            lst = k0;
            len0 = k;
          }
        }
      }
      if (st < 0) {
        // Binary search over the suffix array.
        st = 0;
        en = oldSize;
        if (narrow) {
          const key = nw[scan];
          st = bucket[key] - 1;
          en = Math.min(bucket[key + 1], oldSize);
        } else if (newRest >= 2) {
          // Start inside the 2-byte bucket: saves the ~16 most cache-missing search steps.
          const key = (nw[scan] << 8) | nw[scan + 1];
          st = bucket[key] - 1;
          en = Math.min(bucket[key + 1], oldSize);
        }
        const u = sa[st];
        const v = sa[en];
        lst = extend(old, u, nw, scan, u === aPos ? aLcp : u === bPos ? bLcp : 0);
        len0 = extend(old, v, nw, scan, v === aPos ? aLcp : v === bPos ? bLcp : 0);
        while (en - st >= 2) {
          const x = st + ((en - st) >> 1);
          const p = sa[x];
          // Every suffix between st and en shares min(lst, len0) bytes with new[scan..].
          const k = extend(old, p, nw, scan, Math.min(lst, len0));
          // Percival compares only min(lengths) bytes and calls a proper prefix "not less";
          // that breaks the order on runs (all-zero regions cost O(n) per byte, measured
          // 50 s for 300 KB). A true lexicographic compare keeps the search O(log n + len).
          if (lessThan(old, p, k, nw, scan)) {
            st = x;
            lst = k;
          } else {
            en = x;
            len0 = k;
          }
        }
      }
      if (lst > len0) {
        len = lst;
        pos = sa[st];
      } else {
        len = len0;
        pos = sa[en];
      }
      const hit = eligible && pos === prevPos + 1 ? 1 : 0;
      hitsSoFar += hit;
      hits += (hit - hits) / 256;
      prevScan = scan;
      prevPos = pos;
      prevLen = len;
      prevStPos = sa[st];
      prevStLcp = lst;
      prevEnPos = sa[en];
      prevEnLcp = len0;

      for (; scsc < scan + len; scsc++)
        if (scsc + lastoffset < oldSize && old[scsc + lastoffset] === nw[scsc]) oldscore++;
      if ((len === oldscore && len !== 0) || len > oldscore + 8) break;
      if (scan + lastoffset < oldSize && old[scan + lastoffset] === nw[scan]) oldscore--;
    }

    if (len !== oldscore || scan === newSize) {
      // Extend the previous match forward while it is at least half right...
      let s = 0;
      let sf = 0;
      let lenf = 0;
      for (let i = 0; lastscan + i < scan && lastpos + i < oldSize; ) {
        if (old[lastpos + i] === nw[lastscan + i]) s++;
        i++;
        if (s * 2 - i > sf * 2 - lenf) {
          sf = s;
          lenf = i;
        }
      }
      // ...and the new match backward, likewise.
      let lenb = 0;
      if (scan < newSize) {
        s = 0;
        let sb = 0;
        for (let i = 1; scan >= lastscan + i && pos >= i; i++) {
          if (old[pos - i] === nw[scan - i]) s++;
          if (s * 2 - i > sb * 2 - lenb) {
            sb = s;
            lenb = i;
          }
        }
      }
      // If they overlap, split the overlap where it scores best.
      if (lastscan + lenf > scan - lenb) {
        const overlap = lastscan + lenf - (scan - lenb);
        s = 0;
        let ss = 0;
        let lens = 0;
        for (let i = 0; i < overlap; i++) {
          if (nw[lastscan + lenf - overlap + i] === old[lastpos + lenf - overlap + i]) s++;
          if (nw[scan - lenb + i] === old[pos - lenb + i]) s--;
          if (s > ss) {
            ss = s;
            lens = i + 1;
          }
        }
        lenf += lens - overlap;
        lenb -= lens;
      }

      for (let i = 0; i < lenf; i++) db[dblen + i] = nw[lastscan + i] - old[lastpos + i];
      const copy = scan - lenb - (lastscan + lenf);
      dblen += lenf;
      eblen += copy;
      controls.push({ add: lenf, copy, seek: pos - lenb - (lastpos + lenf) });

      lastscan = scan - lenb;
      lastpos = pos - lenb;
      lastoffset = pos - scan;
    }
  }

  // The extra bytes are NEW's bytes after each add run: gather them now that eblen is known.
  const extra = new Uint8Array(eblen);
  let newPos = 0;
  let e = 0;
  for (const c of controls) {
    newPos += c.add;
    extra.set(nw.subarray(newPos, newPos + c.copy), e);
    e += c.copy;
    newPos += c.copy;
  }
  return { controls, diff: db.subarray(0, dblen), extra };
}

/** Length of the common prefix of old[p..] and nw[scan..], known to be at least `from`. */
function extend(old: Uint8Array, p: number, nw: Uint8Array, scan: number, from: number): number {
  const m = Math.min(old.length - p, nw.length - scan);
  let k = from;
  while (k < m && old[p + k] === nw[scan + k]) k++;
  return k;
}

/** old[p..] < nw[scan..] lexicographically (a proper prefix is smaller), given their common prefix k. */
function lessThan(old: Uint8Array, p: number, k: number, nw: Uint8Array, scan: number): boolean {
  const oldRest = old.length - p;
  const newRest = nw.length - scan;
  return k < oldRest && k < newRest ? old[p + k] < nw[scan + k] : oldRest < newRest;
}

/** rank[p] = the index of suffix p in the suffix array (into `out` when given). */
export function inverse(sa: Int32Array, out: Int32Array = new Int32Array(sa.length)): Int32Array {
  for (let i = 0; i < sa.length; i++) out[sa[i]] = i;
  return out;
}

export interface BsdiffOptions {
  /** The inverse-suffix-array shortcut: 'auto' (default) decides by how often it would hit; tests force it. */
  readonly shortcut?: 'auto' | 'always' | 'never';
}

export interface ScanOptions extends BsdiffOptions {
  /**
   * Where the inverse suffix array comes from (default: built here once the scan wants it).
   * Scans sharing one suffix array share one inverse: `build` true asks for it to be built
   * (undefined: another thread is building it, the scan asks again at its next search), false
   * only takes one already built (a scan over a part of NEW would otherwise search without it
   * for its first oldSize/16 searches, like a whole scan, though it is there).
   */
  readonly rank?: (build: boolean) => Int32Array | undefined;
}

/** Shares of searches answered by the shifted previous match from which the shortcut pays. */
const BUILD_RANK_AT = 0.4;
const TRY_SHORTCUT_AT = 0.15;

/** OLD size from which the match search starts in 2-byte buckets. */
export const NARROW_BUCKETS_BELOW = 1 << 16;

/** bucket[c] = index in the suffix array of the first suffix whose first byte is >= c. */
function prefixBuckets1(old: Uint8Array): Int32Array {
  const bucket = new Int32Array(257);
  for (let i = 0; i < old.length; i++) bucket[old[i] + 1]++;
  bucket[0] = 1; // the empty suffix
  for (let c = 1; c <= 256; c++) bucket[c] += bucket[c - 1];
  return bucket;
}

/**
 * bucket[k] = index in the suffix array of the first suffix whose first two bytes are >= k
 * (k = b0 << 8 | b1). The empty suffix is sa[0] and OLD's one-byte suffix "c" sorts just
 * before the bucket of (c, 0). So a pattern with prefix k has its insertion point in
 * (bucket[k] - 1, bucket[k + 1]], and sa[bucket[k] - 1] is smaller than the pattern.
 */
function prefixBuckets(old: Uint8Array): Int32Array {
  const n = old.length;
  const count = new Int32Array(65536);
  for (let i = 0; i + 1 < n; i++) count[(old[i] << 8) | old[i + 1]]++;
  const bucket = new Int32Array(65537);
  const lastKey = n > 0 ? old[n - 1] << 8 : -1;
  let sum = 1; // the empty suffix
  for (let k = 0; k < 65536; k++) {
    if (k === lastKey) sum++;
    bucket[k] = sum;
    sum += count[k];
  }
  bucket[65536] = sum;
  return bucket;
}
