// A deflate encoder that reproduces GNU gzip 1.x (`gzip -N`, levels 4-9) byte for byte, so a
// .gz file in a package can travel as its (much smaller to diff) decompressed content and be
// rebuilt exactly. Written from RFC 1951 and the classic lazy-matching design: 32 KiB window
// slid by halves in a 64 KiB buffer, 15-bit multiplicative hash of 3 bytes, hash chains in
// `prev`, lazy evaluation of the next position, 3-byte matches further than 4096 dropped.
// Every quirk that decides output bytes is kept on purpose (position 0 never matches, the third
// byte is trusted from the hash, bytes past the end are the buffer's stale contents, the input
// is read in window-sized pieces like a regular file): zlib differs exactly there.
import { BitWriter } from './bits.js';
import { BlockEncoder } from './trees.js';

const WSIZE = 0x8000;
const WMASK = WSIZE - 1;
const WINDOW_SIZE = 2 * WSIZE;
const HASH_BITS = 15;
const HASH_SIZE = 1 << HASH_BITS;
const HASH_MASK = HASH_SIZE - 1;
const H_SHIFT = 5;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const MIN_LOOKAHEAD = MAX_MATCH + MIN_MATCH + 1;
const MAX_DIST = WSIZE - MIN_LOOKAHEAD;
const TOO_FAR = 4096;

interface Config {
  readonly good: number;
  readonly lazy: number;
  readonly nice: number;
  readonly chain: number;
}

/** gzip's level table for the lazy levels (1-3 use a different, greedy loop: not supported). */
const CONFIG: Record<number, Config> = {
  4: { good: 4, lazy: 4, nice: 16, chain: 16 },
  5: { good: 8, lazy: 16, nice: 32, chain: 32 },
  6: { good: 8, lazy: 16, nice: 128, chain: 128 },
  7: { good: 8, lazy: 32, nice: 128, chain: 256 },
  8: { good: 32, lazy: 128, nice: 258, chain: 1024 },
  9: { good: 32, lazy: 258, nice: 258, chain: 4096 },
};

export const GZIP_LEVELS: readonly number[] = [4, 5, 6, 7, 8, 9];

/** Slides the window down by WSIZE; positions below the new window become 0 (no match). */
function slide(window: Uint8Array, head: Uint16Array, prev: Uint16Array): void {
  window.copyWithin(0, WSIZE, WINDOW_SIZE);
  for (let n = 0; n < HASH_SIZE; n++) {
    const m = head[n];
    head[n] = m >= WSIZE ? m - WSIZE : 0;
  }
  for (let n = 0; n < WSIZE; n++) {
    const m = prev[n];
    prev[n] = m >= WSIZE ? m - WSIZE : 0;
  }
}

/**
 * The longest match for the string at `scan` along its hash chain, better than `prevLength`.
 * Returns (matchStart << 9) | length; matchStart is `matchStart` when nothing better is found.
 * Plain arguments, not a closure: V8 keeps them in registers (measured ~2x on -9).
 */
function longestMatch(
  window: Uint8Array,
  prev: Uint16Array,
  scan: number,
  first: number,
  prevLength: number,
  matchStartIn: number,
  maxChain: number,
  nice: number,
): number {
  let curMatch = first;
  let chain = maxChain;
  let matchStart = matchStartIn;
  let bestLen = prevLength;
  const limit = scan > MAX_DIST ? scan - MAX_DIST : 0;
  const strend = scan + MAX_MATCH;
  const s0 = window[scan];
  const s1 = window[scan + 1];
  let scanEnd1 = window[scan + bestLen - 1];
  let scanEnd = window[scan + bestLen];
  for (;;) {
    const match = curMatch;
    if (
      window[match + bestLen] === scanEnd &&
      window[match + bestLen - 1] === scanEnd1 &&
      window[match] === s0 &&
      window[match + 1] === s1
    ) {
      // Byte 2 is not compared: equal hashes of equal first bytes imply it.
      let s = scan + 3;
      let m = match + 3;
      while (s < strend && window[s] === window[m]) {
        s++;
        m++;
      }
      const len = s - scan;
      if (len > bestLen) {
        matchStart = curMatch;
        bestLen = len;
        if (len >= nice) break;
        scanEnd1 = window[scan + bestLen - 1];
        scanEnd = window[scan + bestLen];
      }
    }
    curMatch = prev[curMatch & WMASK];
    if (curMatch <= limit || --chain === 0) break;
  }
  return (matchStart << 9) | bestLen;
}

/** Raw deflate of `input` as gzip 1.x does it at `level` (4-9). Output chunks go to `sink`. */
export function gzipDeflate(input: Uint8Array, level: number, sink: (chunk: Uint8Array) => void): void {
  const cfg = CONFIG[level];
  if (!cfg) throw new RangeError(`gzip level ${level} is not reproducible here (4-9 are)`);
  const { good, lazy, nice, chain: maxChain } = cfg;
  const out = new BitWriter(1 << 16);
  const blocks = new BlockEncoder(out, true);
  // Slack past the buffer: the matcher may peek a few bytes beyond, which the reference reads
  // from the same (zeroed) static memory.
  const window = new Uint8Array(WINDOW_SIZE + MAX_MATCH + 8);
  const prev = new Uint16Array(WSIZE);
  const head = new Uint16Array(HASH_SIZE);
  // The input is read like a regular file: each read fills all the room it is given.
  let inPos = Math.min(WINDOW_SIZE, input.length);
  window.set(input.subarray(0, inPos), 0);
  let strstart = 0;
  let blockStart = 0;
  let lookahead = inPos;
  let eofile = lookahead === 0;
  let matchStart = 0;
  let insH = 0;
  let first = true;
  let matchAvailable = false;
  let matchLength = MIN_MATCH - 1;
  let prevLength = MIN_MATCH - 1;

  const flush = (eof: boolean) => {
    const stored = blockStart >= 0 ? window.subarray(blockStart) : undefined;
    blocks.flushBlock(stored, strstart - blockStart, eof);
    if (out.length >= 1 << 15) sink(out.take());
  };

  while (first || lookahead !== 0) {
    // fill_window: enough lookahead for a whole match plus the next hash, except at the end.
    while (lookahead < MIN_LOOKAHEAD && !eofile) {
      let more = WINDOW_SIZE - lookahead - strstart;
      if (strstart >= WSIZE + MAX_DIST) {
        slide(window, head, prev);
        matchStart -= WSIZE;
        strstart -= WSIZE;
        blockStart -= WSIZE;
        more += WSIZE;
      }
      const n = Math.min(more, input.length - inPos);
      window.set(input.subarray(inPos, inPos + n), strstart + lookahead);
      inPos += n;
      if (n === 0) {
        eofile = true;
        window[strstart + lookahead] = 0;
        window[strstart + lookahead + 1] = 0;
      } else lookahead += n;
    }
    if (first) {
      first = false;
      insH = ((window[0] << H_SHIFT) ^ window[1]) & HASH_MASK;
      if (lookahead === 0) break;
    }

    insH = ((insH << H_SHIFT) ^ window[strstart + MIN_MATCH - 1]) & HASH_MASK;
    const hashHead = head[insH];
    prev[strstart & WMASK] = hashHead;
    head[insH] = strstart;

    prevLength = matchLength;
    const prevMatch = matchStart;
    matchLength = MIN_MATCH - 1;
    if (
      hashHead !== 0 &&
      prevLength < lazy &&
      strstart - hashHead <= MAX_DIST &&
      strstart <= WINDOW_SIZE - MIN_LOOKAHEAD
    ) {
      const r = longestMatch(
        window,
        prev,
        strstart,
        hashHead,
        prevLength,
        matchStart,
        prevLength >= good ? maxChain >> 2 : maxChain,
        nice,
      );
      matchStart = r >>> 9;
      matchLength = r & 511;
      if (matchLength > lookahead) matchLength = lookahead;
      if (matchLength === MIN_MATCH && strstart - matchStart > TOO_FAR) matchLength--;
    }
    if (prevLength >= MIN_MATCH && matchLength <= prevLength) {
      const f = blocks.tally(strstart - 1 - prevMatch, prevLength - MIN_MATCH, strstart - blockStart);
      lookahead -= prevLength - 1;
      let k = prevLength - 2;
      do {
        strstart++;
        insH = ((insH << H_SHIFT) ^ window[strstart + MIN_MATCH - 1]) & HASH_MASK;
        prev[strstart & WMASK] = head[insH];
        head[insH] = strstart;
      } while (--k !== 0);
      matchAvailable = false;
      matchLength = MIN_MATCH - 1;
      strstart++;
      if (f) {
        flush(false);
        blockStart = strstart;
      }
    } else if (matchAvailable) {
      if (blocks.tally(0, window[strstart - 1], strstart - blockStart)) {
        flush(false);
        blockStart = strstart;
      }
      strstart++;
      lookahead--;
    } else {
      matchAvailable = true;
      strstart++;
      lookahead--;
    }
  }
  if (matchAvailable) blocks.tally(0, window[strstart - 1], strstart - blockStart);
  flush(true);
  if (out.length) sink(out.take());
}
