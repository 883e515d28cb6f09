// gzip 1.x's deflate (levels 4-9) as a C kernel: a port of delta/core/deflate (deflate.ts,
// trees.ts, bits.ts), which is the reference; it must give the same bytes on every input.
// Like sha256.c it owns no memory: no data segment, no static variable, no stack. Every table
// lives in a caller-allocated gzd_state, filled by gzd_init, and the output in a caller's buffer.
#ifndef ALOFT_KERNELS_DEFLATE_H
#define ALOFT_KERNELS_DEFLATE_H
#include <stdint.h>

#define GZD_WSIZE 0x8000
#define GZD_WINDOW_SIZE (2 * GZD_WSIZE)
#define GZD_HASH_SIZE (1 << 15)
#define GZD_MAX_MATCH 258
#define GZD_LIT_BUFSIZE 0x8000
#define GZD_L_CODES 286
#define GZD_D_CODES 30
#define GZD_BL_CODES 19
#define GZD_HEAP_SIZE (2 * GZD_L_CODES + 1)
#define GZD_MAX_BITS 15

/** A tree as the classic encoder keeps it: fc = frequency then code, dl = parent then length. */
typedef struct {
  uint16_t fc[GZD_HEAP_SIZE];
  uint16_t dl[GZD_HEAP_SIZE];
  int32_t max_code;
} gzd_tree;

/** The bit writer: LSB first into out[0..cap); past cap it only counts (overflow set). */
typedef struct {
  uint8_t *buf;
  uint32_t len, cap;
  uint32_t acc;
  uint32_t count;
  uint32_t overflow;
} gzd_bits;

typedef struct {
  /* Block encoder (trees.ts). */
  gzd_tree ltree, dtree, bltree;
  int32_t heap[GZD_HEAP_SIZE];
  uint8_t depth[GZD_HEAP_SIZE];
  uint16_t bl_count[GZD_MAX_BITS + 1];
  uint16_t next_code[GZD_MAX_BITS + 1];
  int32_t heap_len, heap_max, opt_len, static_len;
  uint8_t l_buf[GZD_LIT_BUFSIZE];
  uint16_t d_buf[GZD_LIT_BUFSIZE];
  uint8_t flag_buf[GZD_LIT_BUFSIZE / 8];
  uint32_t last_lit, last_dist, last_flags, flags, flag_bit;
  /* Constant tables, computed by gzd_init (a data segment is not allowed). */
  uint8_t length_code[256];
  uint8_t dist_code[512];
  int32_t base_length[29];
  int32_t base_dist[GZD_D_CODES];
  uint16_t static_lcode[GZD_L_CODES + 2];
  uint16_t static_llen[GZD_L_CODES + 2];
  uint16_t static_dcode[GZD_D_CODES];
  uint16_t static_dlen[GZD_D_CODES];
  gzd_bits out;
  /* Matcher (deflate.ts): slack past the window as in the reference (zeroed, then stale). */
  uint8_t window[GZD_WINDOW_SIZE + GZD_MAX_MATCH + 8];
  uint16_t prev[GZD_WSIZE];
  uint16_t head[GZD_HASH_SIZE];
} gzd_state;

void gzd_init(gzd_state *s);

/** Output bytes that always suffice for `n` input bytes (stored or static blocks bound it). */
uint32_t gzd_bound(uint32_t n);

/**
 * Raw deflate of in[0..n) as `gzip -<level> -n` makes it, into out[0..cap). Returns the output
 * length, or -1 for a level outside 4-9, -2 if cap was too small (never with gzd_bound(n)).
 */
int32_t gzd_deflate(gzd_state *s, const uint8_t *in, uint32_t n, int32_t level, uint8_t *out, uint32_t cap);

/* CRC-32 (deflate-crc32.c) over a table of 8 * 256 words that gzd_crc32_init fills. */
void gzd_crc32_init(uint32_t table[8 * 256]);
uint32_t gzd_crc32(const uint32_t table[8 * 256], const uint8_t *p, uint32_t n, uint32_t crc);

/* trees (deflate-trees.c), used by the matcher. */
void gzd_init_block(gzd_state *s);
int gzd_tally(gzd_state *s, uint32_t dist, uint32_t lc, uint32_t in_length);
void gzd_flush_block(gzd_state *s, const uint8_t *stored, uint32_t stored_len, int eof);
void gzd_bits_put(gzd_bits *w, uint32_t value, uint32_t len);
void gzd_bits_align(gzd_bits *w);

#endif
