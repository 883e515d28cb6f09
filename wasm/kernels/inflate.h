// Raw inflate (RFC 1951) as a C kernel: a port of delta/core/deflate/inflate.ts with the same
// ceiling, the same refusals in the same order (each an error code the engine turns into the
// reference's message), and the same `end` (input offset just past the final block). Hostile
// input gives an error code: every read is checked against the input's length, every write
// against the output's. No data segment, no static variable, no stack: tables in gzi_state.
#ifndef ALOFT_KERNELS_INFLATE_H
#define ALOFT_KERNELS_INFLATE_H
#include <stdint.h>

enum {
  GZI_OK = 0,
  GZI_CUT_SHORT = 1,
  GZI_STORED_LENGTH = 2,
  GZI_OVERSUBSCRIBED = 3,
  GZI_INVALID_CODE = 4,
  GZI_TOO_MANY_CODES = 5,
  GZI_REPEAT_FIRST = 6,
  GZI_LENGTHS_OVERFLOW = 7,
  GZI_NO_END_CODE = 8,
  GZI_RESERVED_TYPE = 9,
  GZI_BAD_LENGTH = 10,
  GZI_BAD_DISTANCE = 11,
  GZI_DISTANCE_TOO_FAR = 12,
  GZI_OVER_CEILING = 13,
  GZI_NOT_EXACT = 14,
  GZI_NO_MEMORY = 15,
};

/* Decoding tables are indexed by the next `bits` input bits: symbol << 4 | length, 0 = no code. */
typedef struct {
  uint16_t lit_table[1 << 15];
  uint16_t dist_table[1 << 15];
  uint16_t cl_table[1 << 7];
  uint16_t fixed_lit[1 << 9];
  uint16_t fixed_dist[1 << 5];
  uint16_t count[16], next[16];
  uint8_t lengths[320];
  uint8_t cl[19];
  /* The result: out[0..out_len) of out_cap allocated bytes; `end` as in the reference. */
  uint8_t *out;
  uint32_t out_len, out_cap, end;
} gzi_state;

void gzi_init(gzi_state *s);

/**
 * Inflates input[offset..n). The output grows up to max_size or, with `exact`, is exactly
 * max_size bytes. Returns GZI_OK or an error code; s->out holds the output either way (it may be
 * reallocated while it grows, through gzi_realloc).
 */
uint32_t gzi_inflate(gzi_state *s, const uint8_t *input, uint32_t n, uint32_t offset, uint32_t max_size,
                     int exact);

/** Provided by the embedder: grows `p` (old_size bytes, or 0 / NULL) to new_size, or returns 0. */
void *gzi_realloc(void *p, uint32_t old_size, uint32_t new_size);

#endif
