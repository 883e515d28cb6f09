// Raw inflate: a port of delta/core/deflate/inflate.ts (see inflate.h). The reference's quirks
// are kept so both refuse the same inputs: a Huffman code is looked up with the missing bits past
// the end of input read as zeros, and a stored block starts after the whole bytes a lookup peeked.
#include "inflate.h"

#define FAIL(code)                                                                                     \
  do {                                                                                               \
    err = (code);                                                                                    \
    goto done;                                                                                       \
  } while (0)

static inline uint32_t len_extra(uint32_t i) { return i < 8 || i == 28 ? 0 : (i - 4) >> 2; }
static inline uint32_t dist_extra(uint32_t i) { return i < 4 ? 0 : (i - 2) >> 1; }
/* 3 4 5 6 7 8 9 10 11 13 15 17 19 23 27 31 35 43 ... 227 258 */
static inline uint32_t len_base(uint32_t i) {
  if (i < 8) return 3 + i;
  if (i == 28) return 258;
  uint32_t e = len_extra(i);
  return 3 + (4u << e) + (i & 3) * (1u << e);
}
/* 1 2 3 4 5 7 9 13 17 25 ... 24577 */
static inline uint32_t dist_base(uint32_t i) {
  if (i < 4) return 1 + i;
  uint32_t e = dist_extra(i);
  return 1 + (2u << e) + (i & 1) * (1u << e);
}
/* 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15 */
static inline uint32_t cl_order(uint32_t i) {
  return i < 3 ? 16 + i : i == 3 ? 0 : (i & 1) == 0 ? 8 + ((i - 4) >> 1) : 7 - ((i - 5) >> 1);
}

/* Builds a table over lengths[0..n); returns its bits, or 0 if over-subscribed (incomplete sets
 * are legal). A struct in and out would take the address of a local: a stack, not allowed. */
static uint32_t build(gzi_state *s, uint16_t *table, const uint8_t *lengths, uint32_t n) {
  uint16_t *count = s->count, *next = s->next;
  uint32_t max = 0;
  for (uint32_t i = 0; i < 16; i++) count[i] = 0;
  for (uint32_t i = 0; i < n; i++) {
    count[lengths[i]]++;
    if (lengths[i] > max) max = lengths[i];
  }
  count[0] = 0;
  int32_t left = 1;
  for (uint32_t len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) return 0;
  }
  const uint32_t bits = max > 1 ? max : 1;
  const uint32_t size = 1u << bits;
  for (uint32_t i = 0; i < size; i++) table[i] = 0;
  uint32_t code = 0;
  for (uint32_t len = 1; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = (uint16_t)code;
  }
  for (uint32_t sym = 0; sym < n; sym++) {
    uint32_t len = lengths[sym];
    if (len == 0) continue;
    uint32_t c = next[len]++, r = 0;
    for (uint32_t i = 0; i < len; i++) {
      r = (r << 1) | (c & 1);
      c >>= 1;
    }
    const uint16_t entry = (uint16_t)(sym << 4 | len);
    for (uint32_t i = r; i < size; i += 1u << len) table[i] = entry;
  }
  return bits;
}

void gzi_init(gzi_state *s) {
  for (uint32_t i = 0; i < 288; i++) s->lengths[i] = i < 144 ? 8 : i < 256 ? 9 : i < 280 ? 7 : 8;
  build(s, s->fixed_lit, s->lengths, 288);
  for (uint32_t i = 0; i < 30; i++) s->lengths[i] = 5;
  build(s, s->fixed_dist, s->lengths, 30);
}

uint32_t gzi_inflate(gzi_state *s, const uint8_t *input, uint32_t n, uint32_t offset, uint32_t max_size,
                     int exact) {
  uint32_t pos = offset, bit_buf = 0, bit_cnt = 0, err = GZI_OK, final = 0;
  const uint32_t ceiling = max_size;
  uint64_t first = (uint64_t)(n > offset ? n - offset : 0) * 4;
  if (first < 1024) first = 1024;
  if (exact || first > max_size) first = max_size;
  s->out_len = 0;
  s->end = 0;
  s->out_cap = (uint32_t)first;
  s->out = gzi_realloc(0, 0, s->out_cap ? s->out_cap : 1);
  if (!s->out) return GZI_NO_MEMORY;
  uint8_t *out = s->out;
  uint32_t out_len = 0;
  const uint16_t *lit = 0, *dist = 0;
  uint32_t lit_bits = 0, dist_bits = 0, cl_bits;

  /* take(n): n low bits, refilling bytewise; `cut short` when the input ends first. */
#define NEED(k)                                                                                        \
  while (bit_cnt < (k)) {                                                                            \
    if (pos >= n) FAIL(GZI_CUT_SHORT);                                                               \
    bit_buf |= (uint32_t)input[pos++] << bit_cnt;                                                    \
    bit_cnt += 8;                                                                                    \
  }
#define TAKE(var, k)                                                                                   \
  do {                                                                                               \
    NEED(k);                                                                                         \
    var = bit_buf & ((1u << (k)) - 1);                                                               \
    bit_buf >>= (k);                                                                                 \
    bit_cnt -= (k);                                                                                  \
  } while (0)
  /* decode: peek up to `bits` (fewer at the end of input, fine if the code is that short). */
#define DECODE(var, table, bits)                                                                       \
  do {                                                                                               \
    while (bit_cnt < (bits) && pos < n) {                                                            \
      bit_buf |= (uint32_t)input[pos++] << bit_cnt;                                                  \
      bit_cnt += 8;                                                                                  \
    }                                                                                                \
    uint32_t e_ = (table)[bit_buf & ((1u << (bits)) - 1)];                                           \
    if (e_ == 0) FAIL(GZI_INVALID_CODE);                                                             \
    uint32_t l_ = e_ & 15;                                                                           \
    if (l_ > bit_cnt) FAIL(GZI_CUT_SHORT);                                                           \
    bit_buf >>= l_;                                                                                  \
    bit_cnt -= l_;                                                                                   \
    var = e_ >> 4;                                                                                   \
  } while (0)
  /* room(k): grows the output (doubling, never past the ceiling) or fails. */
#define ROOM(k)                                                                                        \
  if ((uint64_t)out_len + (k) > s->out_cap) {                                                        \
    if ((uint64_t)out_len + (k) > ceiling) FAIL(GZI_OVER_CEILING);                                   \
    uint64_t cap_ = (uint64_t)s->out_cap * 2;                                                        \
    while (cap_ < (uint64_t)out_len + (k)) cap_ *= 2;                                                \
    if (cap_ > ceiling) cap_ = ceiling;                                                              \
    uint8_t *next_ = gzi_realloc(out, s->out_cap, (uint32_t)cap_);                                   \
    if (!next_) FAIL(GZI_NO_MEMORY);                                                                 \
    s->out = out = next_;                                                                            \
    s->out_cap = (uint32_t)cap_;                                                                     \
  }

  do {
    uint32_t type;
    TAKE(final, 1);
    TAKE(type, 2);
    if (type == 0) {
      pos -= bit_cnt >> 3;
      bit_buf = 0;
      bit_cnt = 0;
      if ((uint64_t)pos + 4 > n) FAIL(GZI_CUT_SHORT);
      uint32_t len = input[pos] | (uint32_t)input[pos + 1] << 8;
      uint32_t nlen = input[pos + 2] | (uint32_t)input[pos + 3] << 8;
      if ((len ^ 0xffff) != nlen) FAIL(GZI_STORED_LENGTH);
      pos += 4;
      if ((uint64_t)pos + len > n) FAIL(GZI_CUT_SHORT);
      ROOM(len);
      __builtin_memcpy(out + out_len, input + pos, len);
      out_len += len;
      pos += len;
      continue;
    }
    if (type == 1) {
      lit = s->fixed_lit;
      lit_bits = 9;
      dist = s->fixed_dist;
      dist_bits = 5;
    } else if (type == 2) {
      uint32_t hlit, hdist, hclen;
      TAKE(hlit, 5);
      TAKE(hdist, 5);
      TAKE(hclen, 4);
      hlit += 257;
      hdist += 1;
      hclen += 4;
      if (hlit > 286 || hdist > 30) FAIL(GZI_TOO_MANY_CODES);
      for (uint32_t i = 0; i < 19; i++) s->cl[i] = 0;
      for (uint32_t i = 0; i < hclen; i++) {
        uint32_t v;
        TAKE(v, 3);
        s->cl[cl_order(i)] = (uint8_t)v;
      }
      if (!(cl_bits = build(s, s->cl_table, s->cl, 19))) FAIL(GZI_OVERSUBSCRIBED);
      const uint32_t total = hlit + hdist;
      for (uint32_t i = 0; i < total;) {
        uint32_t sym;
        DECODE(sym, s->cl_table, cl_bits);
        if (sym < 16) s->lengths[i++] = (uint8_t)sym;
        else {
          uint32_t rep, val = 0;
          if (sym == 16) {
            if (i == 0) FAIL(GZI_REPEAT_FIRST);
            val = s->lengths[i - 1];
            TAKE(rep, 2);
            rep += 3;
          } else if (sym == 17) {
            TAKE(rep, 3);
            rep += 3;
          } else {
            TAKE(rep, 7);
            rep += 11;
          }
          if (i + rep > total) FAIL(GZI_LENGTHS_OVERFLOW);
          while (rep--) s->lengths[i++] = (uint8_t)val;
        }
      }
      if (s->lengths[256] == 0) FAIL(GZI_NO_END_CODE);
      lit = s->lit_table;
      dist = s->dist_table;
      if (!(lit_bits = build(s, s->lit_table, s->lengths, hlit))) FAIL(GZI_OVERSUBSCRIBED);
      if (!(dist_bits = build(s, s->dist_table, s->lengths + hlit, hdist))) FAIL(GZI_OVERSUBSCRIBED);
    } else
      FAIL(GZI_RESERVED_TYPE);

    for (;;) {
      uint32_t sym;
      DECODE(sym, lit, lit_bits);
      if (sym < 256) {
        ROOM(1);
        out[out_len++] = (uint8_t)sym;
      } else if (sym == 256)
        break;
      else {
        uint32_t li = sym - 257, extra, di, d;
        if (li >= 29) FAIL(GZI_BAD_LENGTH);
        TAKE(extra, len_extra(li));
        const uint32_t len = len_base(li) + extra;
        DECODE(di, dist, dist_bits);
        if (di >= 30) FAIL(GZI_BAD_DISTANCE);
        TAKE(extra, dist_extra(di));
        d = dist_base(di) + extra;
        if (d > out_len) FAIL(GZI_DISTANCE_TOO_FAR);
        ROOM(len);
        const uint8_t *from = out + out_len - d;
        uint8_t *to = out + out_len;
        if (d >= len) __builtin_memcpy(to, from, len);
        else
          for (uint32_t i = 0; i < len; i++) to[i] = from[i];
        out_len += len;
      }
    }
  } while (!final);
  if (exact && out_len != max_size) err = GZI_NOT_EXACT;
  s->end = pos - (bit_cnt >> 3);
done:
  s->out_len = out_len;
  return err;
}
