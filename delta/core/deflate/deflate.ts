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

/** Raw deflate of `input` as gzip 1.x does it at `level` (4-9). Output chunks go to `sink`. */
export function gzipDeflate(input: Uint8Array, level: number, sink: (chunk: Uint8Array) => void): void {
  const cfg = CONFIG[level];
  if (!cfg) throw new RangeError(`gzip level ${level} is not reproducible here (4-9 are)`);
  const out = new BitWriter(1 << 16);
  const blocks = new BlockEncoder(out, true);
  // Slack past the buffer: the matcher may peek a few bytes beyond, which the reference reads
  // from the same (zeroed) static memory.
  const window = new Uint8Array(WINDOW_SIZE + MAX_MATCH + 8);
  const prev = new Uint16Array(WSIZE);
  const head = new Uint16Array(HASH_SIZE);
  let inPos = 0;
  const read = (at: number, size: number): number => {
    const n = Math.min(size, input.length - inPos);
    window.set(input.subarray(inPos, inPos + n), at);
    inPos += n;
    return n;
  };

  let strstart = 0;
  let blockStart = 0;
  let lookahead = read(0, WINDOW_SIZE);
  let eofile = lookahead === 0;
  let matchStart = 0;
  let prevLength = 0;

  const fillWindow = () => {
    let more = WINDOW_SIZE - lookahead - strstart;
    if (strstart >= WSIZE + MAX_DIST) {
      window.copyWithin(0, WSIZE, WINDOW_SIZE);
      matchStart -= WSIZE;
      strstart -= WSIZE;
      blockStart -= WSIZE;
      for (let n = 0; n < HASH_SIZE; n++) {
        const m = head[n];
        head[n] = m >= WSIZE ? m - WSIZE : 0;
      }
      for (let n = 0; n < WSIZE; n++) {
        const m = prev[n];
        prev[n] = m >= WSIZE ? m - WSIZE : 0;
      }
      more += WSIZE;
    }
    if (!eofile) {
      const n = read(strstart + lookahead, more);
      if (n === 0) {
        eofile = true;
        window[strstart + lookahead] = 0;
        window[strstart + lookahead + 1] = 0;
      } else lookahead += n;
    }
  };
  if (!eofile) while (lookahead < MIN_LOOKAHEAD && !eofile) fillWindow();
  let insH = ((window[0] << H_SHIFT) ^ window[1]) & HASH_MASK;

  const { good, lazy, nice, chain: maxChain } = cfg;
  const longestMatch = (first: number): number => {
    let curMatch = first;
    let chain = prevLength >= good ? maxChain >> 2 : maxChain;
    const scan = strstart;
    let bestLen = prevLength;
    const limit = strstart > MAX_DIST ? strstart - MAX_DIST : 0;
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
    return bestLen;
  };

  const flush = (eof: boolean) => {
    const stored = blockStart >= 0 ? window.subarray(blockStart) : undefined;
    blocks.flushBlock(stored, strstart - blockStart, eof);
    if (out.length >= 1 << 15) sink(out.take());
  };

  let matchAvailable = false;
  let matchLength = MIN_MATCH - 1;
  while (lookahead !== 0) {
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
      matchLength = longestMatch(hashHead);
      if (matchLength > lookahead) matchLength = lookahead;
      if (matchLength === MIN_MATCH && strstart - matchStart > TOO_FAR) matchLength--;
    }
    if (prevLength >= MIN_MATCH && matchLength <= prevLength) {
      const f = blocks.tally(strstart - 1 - prevMatch, prevLength - MIN_MATCH, strstart - blockStart);
      lookahead -= prevLength - 1;
      prevLength -= 2;
      do {
        strstart++;
        insH = ((insH << H_SHIFT) ^ window[strstart + MIN_MATCH - 1]) & HASH_MASK;
        prev[strstart & WMASK] = head[insH];
        head[insH] = strstart;
      } while (--prevLength !== 0);
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
    while (lookahead < MIN_LOOKAHEAD && !eofile) fillWindow();
  }
  if (matchAvailable) blocks.tally(0, window[strstart - 1], strstart - blockStart);
  flush(true);
  if (out.length) sink(out.take());
}
