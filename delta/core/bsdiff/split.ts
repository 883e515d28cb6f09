// One big diff scanned in parts, so that two threads can share it. bsdiff's scan walks NEW once,
// front to back, against a suffix array of OLD; cut NEW into parts and each part is an ordinary
// bsdiff of (OLD, that part) over the same suffix array, each starting with the old cursor at 0.
// The joined patch is the parts' controls in order, with the last control of each part seeking
// the old cursor back to 0 where the next part starts. It is a valid patch for (OLD, NEW), a
// few bytes larger at each cut (the match running across a cut restarts from a search).
// The cuts depend on NEW's size alone, and every part's scan is a pure function: the patch is
// the same whichever thread scans which part, or one thread all of them.
import { bsdiffScan, checkInputs, indexOld, inverse, type OldIndex, type ScanOptions } from './diff.js';
import type { BsdiffControl, BsdiffStreams } from './types.js';

/**
 * NEW size from which a diff is scanned in two halves. Two parts, not more: a cut inside a long
 * approximate match (relinked code) restarts it at another alignment, whose diff bytes compress
 * worse. On mariadbd (26 MB) one cut cost 12 bytes, eleven cuts 35 KB.
 */
export const SPLIT_MIN_BYTES = 4 << 20;

/** Part boundaries of a NEW of this size: [0, newSize], or [0, half, newSize] from SPLIT_MIN_BYTES. */
export function splitPoints(newSize: number): number[] {
  return newSize >= SPLIT_MIN_BYTES ? [0, Math.floor(newSize / 2), newSize] : [0, newSize];
}

/** The patch of the whole NEW from the patches of its parts (in order). */
export function joinParts(parts: readonly BsdiffStreams[]): BsdiffStreams {
  if (parts.length === 1) return parts[0];
  const controls: BsdiffControl[] = [];
  let diffSize = 0;
  let extraSize = 0;
  parts.forEach((p, k) => {
    let oldPos = 0;
    for (const c of p.controls) {
      controls.push({ ...c });
      oldPos += c.add + c.seek;
    }
    // Every part's controls start at old cursor 0: the last control of a part goes back there.
    // A part of NEW is never empty, so its scan emits at least one control.
    if (k < parts.length - 1) controls[controls.length - 1].seek -= oldPos;
    diffSize += p.diff.length;
    extraSize += p.extra.length;
  });
  const diff = new Uint8Array(diffSize);
  const extra = new Uint8Array(extraSize);
  let d = 0;
  let e = 0;
  for (const p of parts) {
    diff.set(p.diff, d);
    extra.set(p.extra, e);
    d += p.diff.length;
    e += p.extra.length;
  }
  return { controls, diff, extra };
}

/** A rank port that builds the inverse suffix array once, for all scans over one index. */
export function sharedRank(index: OldIndex): (build: boolean) => Int32Array | undefined {
  let rank: Int32Array | undefined;
  return (build) => {
    if (build) rank ??= inverse(index.sa);
    return rank;
  };
}

/**
 * bsdiff with NEW cut at splitPoints: what createPatch diffs with, on one thread or (via the
 * host's port) on two. Below SPLIT_MIN_BYTES of NEW it is exactly `bsdiff`.
 */
export function splitBsdiff(
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  options: ScanOptions = {},
): BsdiffStreams {
  checkInputs(oldBytes, newBytes);
  const index = indexOld(oldBytes);
  const cuts = splitPoints(newBytes.length);
  const rank = options.rank ?? sharedRank(index);
  const parts: BsdiffStreams[] = [];
  for (let k = 0; k + 1 < cuts.length; k++)
    parts.push(bsdiffScan(oldBytes, index, newBytes.subarray(cuts[k], cuts[k + 1]), { ...options, rank }));
  return joinParts(parts);
}
