// gzip 1.x's lazy-matching deflate loop (levels 4-9): a port of delta/core/deflate/deflate.ts,
// which is the reference. Every quirk that decides output bytes is kept as there: position 0
// never matches, the third byte is trusted from the hash, bytes past the end are the window's
// stale contents, the input is read in window-sized pieces like a regular file, 3-byte matches
// further than TOO_FAR are dropped, and matchStart wraps through the same (start << 9 | length)
// packing as the reference's longestMatch result.
#include "deflate.h"

#define WSIZE GZD_WSIZE
#define WMASK (WSIZE - 1)
#define WINDOW_SIZE GZD_WINDOW_SIZE
#define HASH_MASK (GZD_HASH_SIZE - 1)
#define H_SHIFT 5
#define MIN_MATCH 3
#define MAX_MATCH GZD_MAX_MATCH
#define MIN_LOOKAHEAD (MAX_MATCH + MIN_MATCH + 1)
#define MAX_DIST (WSIZE - MIN_LOOKAHEAD)
#define TOO_FAR 4096

/* gzip's table for the lazy levels, packed: good | lazy << 9 | nice << 18, and the chain. */
static inline uint32_t config(int32_t level) {
  switch (level) {
  case 4: return 4 | 4u << 9 | 16u << 18;
  case 5: return 8 | 16u << 9 | 32u << 18;
  case 6: return 8 | 16u << 9 | 128u << 18;
  case 7: return 8 | 32u << 9 | 128u << 18;
  case 8: return 32 | 128u << 9 | 258u << 18;
  default: return 32 | 258u << 9 | 258u << 18;
  }
}
static inline uint32_t config_chain(int32_t level) {
  return level == 4 ? 16 : level == 5 ? 32 : level == 6 ? 128 : level == 7 ? 256 : level == 8 ? 1024 : 4096;
}

uint32_t gzd_bound(uint32_t n) {
  /* A block is never longer than its static encoding (<= 9 bits a byte, 4 bytes of header and
   * end code) or its stored form (+5); blocks hold >= 4096 symbols except the last. */
  uint64_t b = (uint64_t)n + (n >> 3) + 16 * ((uint64_t)n / 4096 + 2) + 64;
  return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

static void slide(gzd_state *s) {
  __builtin_memcpy(s->window, s->window + WSIZE, WSIZE);
  for (uint32_t n = 0; n < GZD_HASH_SIZE; n++) {
    uint32_t m = s->head[n];
    s->head[n] = (uint16_t)(m >= WSIZE ? m - WSIZE : 0);
  }
  for (uint32_t n = 0; n < WSIZE; n++) {
    uint32_t m = s->prev[n];
    s->prev[n] = (uint16_t)(m >= WSIZE ? m - WSIZE : 0);
  }
}

static inline uint16_t load16(const uint8_t *p) {
  uint16_t v;
  __builtin_memcpy(&v, p, 2);
  return v;
}
static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  __builtin_memcpy(&v, p, 8);
  return v;
}

/* The longest match along the chain from `first`, better than prev_length: (start << 9) | length. */
static uint32_t longest_match(const uint8_t *window, const uint16_t *prev, uint32_t scan, uint32_t first,
                              uint32_t prev_length, int32_t match_start_in, uint32_t max_chain,
                              uint32_t nice) {
  uint32_t cur_match = first;
  uint32_t chain = max_chain;
  uint32_t match_start = (uint32_t)match_start_in;
  uint32_t best_len = prev_length;
  const uint32_t limit = scan > MAX_DIST ? scan - MAX_DIST : 0;
  const uint8_t *strend = window + scan + MAX_MATCH;
  /* Two bytes at a time for the start and the end of the best match so far (wasm is little-endian). */
  const uint16_t start = load16(window + scan);
  uint16_t end = load16(window + scan + best_len - 1);
  for (;;) {
    const uint8_t *match = window + cur_match;
    if (load16(match + best_len - 1) == end && load16(match) == start) {
      /* Byte 2 is not compared: equal hashes of equal first bytes imply it. Eight bytes a step,
       * stopping at the first difference or at MAX_MATCH (the window has slack for the reads). */
      const uint8_t *p = window + scan + 3;
      const uint8_t *m = match + 3;
      while (p < strend) {
        uint64_t x = load64(p) ^ load64(m);
        if (x) {
          p += __builtin_ctzll(x) >> 3;
          break;
        }
        p += 8;
        m += 8;
      }
      if (p > strend) p = strend;
      uint32_t len = (uint32_t)(p - (window + scan));
      if (len > best_len) {
        match_start = cur_match;
        best_len = len;
        if (len >= nice) break;
        end = load16(window + scan + best_len - 1);
      }
    }
    cur_match = prev[cur_match & WMASK];
    if (cur_match <= limit || --chain == 0) break;
  }
  return (match_start << 9) | best_len;
}

#define UPDATE_HASH(h, c) ((h) = (((h) << H_SHIFT) ^ (c)) & HASH_MASK)

int32_t gzd_deflate(gzd_state *s, const uint8_t *input, uint32_t length, int32_t level, uint8_t *out,
                    uint32_t cap) {
  if (level < 4 || level > 9) return -1;
  const uint32_t cfg = config(level);
  const uint32_t good = cfg & 511, lazy = (cfg >> 9) & 511, nice = cfg >> 18;
  const uint32_t max_chain = config_chain(level);
  s->out = (gzd_bits){out, 0, cap, 0, 0, 0};
  gzd_init_block(s);
  uint8_t *window = s->window;
  __builtin_memset(window, 0, sizeof s->window);
  __builtin_memset(s->prev, 0, sizeof s->prev);
  __builtin_memset(s->head, 0, sizeof s->head);

  /* The input is read like a regular file: each read fills all the room it is given. */
  uint32_t in_pos = length < WINDOW_SIZE ? length : WINDOW_SIZE;
  __builtin_memcpy(window, input, in_pos);
  int32_t strstart = 0, block_start = 0, match_start = 0;
  uint32_t lookahead = in_pos;
  int eofile = lookahead == 0;
  uint32_t ins_h = 0;
  int first = 1, match_available = 0;
  uint32_t match_length = MIN_MATCH - 1, prev_length = MIN_MATCH - 1;

  while (first || lookahead != 0) {
    /* fill_window: enough lookahead for a whole match plus the next hash, except at the end. */
    while (lookahead < MIN_LOOKAHEAD && !eofile) {
      uint32_t more = WINDOW_SIZE - lookahead - (uint32_t)strstart;
      if (strstart >= WSIZE + MAX_DIST) {
        slide(s);
        match_start -= WSIZE;
        strstart -= WSIZE;
        block_start -= WSIZE;
        more += WSIZE;
      }
      uint32_t n = length - in_pos < more ? length - in_pos : more;
      __builtin_memcpy(window + strstart + lookahead, input + in_pos, n);
      in_pos += n;
      if (n == 0) {
        eofile = 1;
        window[strstart + lookahead] = 0;
        window[strstart + lookahead + 1] = 0;
      } else
        lookahead += n;
    }
    if (first) {
      first = 0;
      ins_h = ((uint32_t)(window[0] << H_SHIFT) ^ window[1]) & HASH_MASK;
      if (lookahead == 0) break;
    }

    UPDATE_HASH(ins_h, window[strstart + MIN_MATCH - 1]);
    uint32_t hash_head = s->head[ins_h];
    s->prev[strstart & WMASK] = (uint16_t)hash_head;
    s->head[ins_h] = (uint16_t)strstart;

    prev_length = match_length;
    int32_t prev_match = match_start;
    match_length = MIN_MATCH - 1;
    if (hash_head != 0 && prev_length < lazy && (uint32_t)strstart - hash_head <= MAX_DIST &&
        strstart <= WINDOW_SIZE - MIN_LOOKAHEAD) {
      uint32_t r = longest_match(window, s->prev, (uint32_t)strstart, hash_head, prev_length, match_start,
                                 prev_length >= good ? max_chain >> 2 : max_chain, nice);
      match_start = (int32_t)(r >> 9);
      match_length = r & 511;
      if (match_length > lookahead) match_length = lookahead;
      if (match_length == MIN_MATCH && strstart - match_start > TOO_FAR) match_length--;
    }
    if (prev_length >= MIN_MATCH && match_length <= prev_length) {
      int flush = gzd_tally(s, (uint32_t)(strstart - 1 - prev_match), prev_length - MIN_MATCH,
                            (uint32_t)(strstart - block_start));
      lookahead -= prev_length - 1;
      uint32_t k = prev_length - 2;
      do {
        strstart++;
        UPDATE_HASH(ins_h, window[strstart + MIN_MATCH - 1]);
        s->prev[strstart & WMASK] = s->head[ins_h];
        s->head[ins_h] = (uint16_t)strstart;
      } while (--k != 0);
      match_available = 0;
      match_length = MIN_MATCH - 1;
      strstart++;
      if (flush) {
        gzd_flush_block(s, block_start >= 0 ? window + block_start : 0, (uint32_t)(strstart - block_start), 0);
        block_start = strstart;
      }
    } else if (match_available) {
      if (gzd_tally(s, 0, window[strstart - 1], (uint32_t)(strstart - block_start))) {
        gzd_flush_block(s, block_start >= 0 ? window + block_start : 0, (uint32_t)(strstart - block_start), 0);
        block_start = strstart;
      }
      strstart++;
      lookahead--;
    } else {
      match_available = 1;
      strstart++;
      lookahead--;
    }
  }
  if (match_available) gzd_tally(s, 0, window[strstart - 1], (uint32_t)(strstart - block_start));
  gzd_flush_block(s, block_start >= 0 ? window + block_start : 0, (uint32_t)(strstart - block_start), 1);
  if (s->out.overflow) return -2;
  return (int32_t)s->out.len;
}
