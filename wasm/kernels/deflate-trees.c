// The block side of gzip 1.x's deflate: a port of delta/core/deflate/trees.ts and bits.ts (the
// reference: same tree building order, 4096-symbol block-end estimate, 0x8000 symbol buffer,
// stored > static > dynamic on ties, the fc/dl unions written through as there). The constant
// tables are computed into the state by gzd_init, and the small ones are formulas, so that the
// module has no data segment.
#include "deflate.h"

#define LITERALS 256
#define END_BLOCK 256
#define LENGTH_CODES 29
#define MAX_BL_BITS 7
#define REP_3_6 16
#define REPZ_3_10 17
#define REPZ_11_138 18

enum { LTREE, DTREE, BLTREE };

static inline uint32_t extra_lbits(uint32_t code) { return code < 8 || code == 28 ? 0 : (code - 4) >> 2; }
static inline uint32_t extra_dbits(uint32_t code) { return code < 4 ? 0 : (code - 2) >> 1; }
static inline uint32_t extra_blbits(uint32_t code) { return code == 16 ? 2 : code == 17 ? 3 : code == 18 ? 7 : 0; }
/* 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1 15 */
static inline uint32_t bl_order(uint32_t i) {
  return i < 3 ? 16 + i : i == 3 ? 0 : (i & 1) == 0 ? 8 + ((i - 4) >> 1) : 7 - ((i - 5) >> 1);
}
static inline uint32_t static_llen(uint32_t n) { return n < 144 ? 8 : n < 256 ? 9 : n < 280 ? 7 : 8; }

static inline uint32_t reverse(uint32_t code, uint32_t len) {
  uint32_t r = 0;
  for (uint32_t i = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>= 1;
  }
  return r;
}

static inline uint32_t d_code(const gzd_state *s, uint32_t dist) {
  return dist < 256 ? s->dist_code[dist] : s->dist_code[256 + (dist >> 7)];
}

void gzd_bits_put(gzd_bits *w, uint32_t value, uint32_t len) {
  w->acc |= (value & ((1u << len) - 1)) << w->count;
  w->count += len;
  if (w->count >= 16) {
    if (w->len + 2 <= w->cap) {
      w->buf[w->len] = (uint8_t)w->acc;
      w->buf[w->len + 1] = (uint8_t)(w->acc >> 8);
    } else
      w->overflow = 1;
    w->len += 2;
    w->acc >>= 16;
    w->count -= 16;
  }
}

void gzd_bits_align(gzd_bits *w) {
  while (w->count > 0) {
    if (w->len < w->cap) w->buf[w->len] = (uint8_t)w->acc;
    else w->overflow = 1;
    w->len++;
    w->acc >>= 8;
    w->count = w->count > 8 ? w->count - 8 : 0;
  }
  w->acc = 0;
}

static void gen_codes(uint16_t *fc, const uint16_t *dl, int32_t max_code, const uint16_t *bl_count,
                      uint16_t *next) {
  uint32_t code = 0;
  for (uint32_t bits = 1; bits <= GZD_MAX_BITS; bits++) {
    code = ((code + bl_count[bits - 1]) << 1) & 0xffff;
    next[bits] = (uint16_t)code;
  }
  for (int32_t n = 0; n <= max_code; n++) {
    uint32_t len = dl[n];
    if (len == 0) continue;
    fc[n] = (uint16_t)reverse(next[len]++, len);
  }
}

void gzd_init(gzd_state *s) {
  uint32_t length = 0, code = 0, dist = 0;
  for (; code < LENGTH_CODES - 1; code++) {
    s->base_length[code] = (int32_t)length;
    for (uint32_t n = 0; n < 1u << extra_lbits(code); n++) s->length_code[length++] = (uint8_t)code;
  }
  /* Length 258 has two codes (284 + 31, or 285); the shorter 285 is used. */
  s->length_code[length - 1] = (uint8_t)code;
  s->base_length[LENGTH_CODES - 1] = 0;
  for (code = 0; code < 16; code++) {
    s->base_dist[code] = (int32_t)dist;
    for (uint32_t n = 0; n < 1u << extra_dbits(code); n++) s->dist_code[dist++] = (uint8_t)code;
  }
  dist >>= 7;
  for (; code < GZD_D_CODES; code++) {
    s->base_dist[code] = (int32_t)(dist << 7);
    for (uint32_t n = 0; n < 1u << (extra_dbits(code) - 7); n++) s->dist_code[256 + dist++] = (uint8_t)code;
  }
  for (uint32_t n = 0; n <= GZD_MAX_BITS; n++) s->bl_count[n] = 0;
  for (uint32_t n = 0; n < GZD_L_CODES + 2; n++) {
    s->static_llen[n] = (uint16_t)static_llen(n);
    s->bl_count[s->static_llen[n]]++;
  }
  gen_codes(s->static_lcode, s->static_llen, GZD_L_CODES + 1, s->bl_count, s->next_code);
  for (uint32_t n = 0; n < GZD_D_CODES; n++) {
    s->static_dcode[n] = (uint16_t)reverse(n, 5);
    s->static_dlen[n] = 5;
  }
}

void gzd_init_block(gzd_state *s) {
  for (uint32_t n = 0; n < GZD_L_CODES; n++) s->ltree.fc[n] = 0;
  for (uint32_t n = 0; n < GZD_D_CODES; n++) s->dtree.fc[n] = 0;
  for (uint32_t n = 0; n < GZD_BL_CODES; n++) s->bltree.fc[n] = 0;
  s->ltree.fc[END_BLOCK] = 1;
  s->opt_len = s->static_len = 0;
  s->last_lit = s->last_dist = s->last_flags = s->flags = 0;
  s->flag_bit = 1;
}

int gzd_tally(gzd_state *s, uint32_t dist, uint32_t lc, uint32_t in_length) {
  s->l_buf[s->last_lit++] = (uint8_t)lc;
  if (dist == 0) s->ltree.fc[lc]++;
  else {
    dist--;
    s->ltree.fc[s->length_code[lc] + LITERALS + 1]++;
    s->dtree.fc[d_code(s, dist)]++;
    s->d_buf[s->last_dist++] = (uint16_t)dist;
    s->flags |= s->flag_bit;
  }
  s->flag_bit <<= 1;
  if ((s->last_lit & 7) == 0) {
    s->flag_buf[s->last_flags++] = (uint8_t)s->flags;
    s->flags = 0;
    s->flag_bit = 1;
  }
  if ((s->last_lit & 0xfff) == 0) {
    uint32_t out_length = s->last_lit * 8;
    for (uint32_t d = 0; d < GZD_D_CODES; d++) out_length += s->dtree.fc[d] * (5 + extra_dbits(d));
    out_length >>= 3;
    if (s->last_dist < s->last_lit >> 1 && out_length < in_length >> 1) return 1;
  }
  return s->last_lit == GZD_LIT_BUFSIZE - 1 || s->last_dist == GZD_LIT_BUFSIZE;
}

static inline int smaller(const gzd_state *s, const uint16_t *fc, int32_t n, int32_t m) {
  return fc[n] < fc[m] || (fc[n] == fc[m] && s->depth[n] <= s->depth[m]);
}

static void down_heap(gzd_state *s, const uint16_t *fc, int32_t k) {
  int32_t *heap = s->heap;
  int32_t v = heap[k];
  int32_t j = k << 1;
  while (j <= s->heap_len) {
    if (j < s->heap_len && smaller(s, fc, heap[j + 1], heap[j])) j++;
    if (smaller(s, fc, v, heap[j])) break;
    heap[k] = heap[j];
    k = j;
    j <<= 1;
  }
  heap[k] = v;
}

static uint32_t tree_static_len(const gzd_state *s, int kind, int32_t n) {
  return kind == LTREE ? s->static_llen[n] : s->static_dlen[n];
}

static uint32_t tree_extra(int kind, int32_t n) {
  if (kind == LTREE) return n >= LITERALS + 1 ? extra_lbits((uint32_t)n - LITERALS - 1) : 0;
  return kind == DTREE ? extra_dbits((uint32_t)n) : extra_blbits((uint32_t)n);
}

static void gen_bit_lengths(gzd_state *s, gzd_tree *t, int kind) {
  uint16_t *fc = t->fc, *dl = t->dl;
  const int32_t max_code = t->max_code;
  const uint32_t max_length = kind == BLTREE ? MAX_BL_BITS : GZD_MAX_BITS;
  int32_t *heap = s->heap;
  uint16_t *bl_count = s->bl_count;
  for (uint32_t n = 0; n <= GZD_MAX_BITS; n++) bl_count[n] = 0;
  int32_t overflow = 0;
  dl[heap[s->heap_max]] = 0;
  int32_t h = s->heap_max + 1;
  for (; h < GZD_HEAP_SIZE; h++) {
    int32_t n = heap[h];
    uint32_t bits = (uint32_t)dl[dl[n]] + 1;
    if (bits > max_length) {
      bits = max_length;
      overflow++;
    }
    dl[n] = (uint16_t)bits;
    if (n > max_code) continue;
    bl_count[bits]++;
    int32_t xbits = (int32_t)tree_extra(kind, n);
    int32_t f = fc[n];
    s->opt_len += f * ((int32_t)bits + xbits);
    if (kind != BLTREE) s->static_len += f * ((int32_t)tree_static_len(s, kind, n) + xbits);
  }
  if (overflow == 0) return;
  do {
    uint32_t bits = max_length - 1;
    while (bl_count[bits] == 0) bits--;
    bl_count[bits]--;
    bl_count[bits + 1] += 2;
    bl_count[max_length]--;
    overflow -= 2;
  } while (overflow > 0);
  for (uint32_t bits = max_length; bits != 0; bits--) {
    uint32_t n = bl_count[bits];
    while (n != 0) {
      int32_t m = heap[--h];
      if (m > max_code) continue;
      if (dl[m] != bits) {
        s->opt_len += ((int32_t)bits - (int32_t)dl[m]) * (int32_t)fc[m];
        dl[m] = (uint16_t)bits;
      }
      n--;
    }
  }
}

static void build_tree(gzd_state *s, gzd_tree *t, int kind) {
  uint16_t *fc = t->fc, *dl = t->dl;
  const int32_t elems = kind == LTREE ? GZD_L_CODES : kind == DTREE ? GZD_D_CODES : GZD_BL_CODES;
  int32_t *heap = s->heap;
  uint8_t *depth = s->depth;
  int32_t max_code = -1;
  int32_t node = elems;
  s->heap_len = 0;
  s->heap_max = GZD_HEAP_SIZE;
  for (int32_t n = 0; n < elems; n++) {
    if (fc[n] != 0) {
      heap[++s->heap_len] = max_code = n;
      depth[n] = 0;
    } else
      dl[n] = 0;
  }
  /* At least two codes, so every used symbol gets at least one bit. */
  while (s->heap_len < 2) {
    int32_t added = max_code < 2 ? ++max_code : 0;
    heap[++s->heap_len] = added;
    fc[added] = 1;
    depth[added] = 0;
    s->opt_len--;
    if (kind != BLTREE) s->static_len -= (int32_t)tree_static_len(s, kind, added);
  }
  t->max_code = max_code;
  for (int32_t n = s->heap_len >> 1; n >= 1; n--) down_heap(s, fc, n);
  do {
    int32_t n = heap[1];
    heap[1] = heap[s->heap_len--];
    down_heap(s, fc, 1);
    int32_t m = heap[1];
    heap[--s->heap_max] = n;
    heap[--s->heap_max] = m;
    fc[node] = (uint16_t)(fc[n] + fc[m]);
    depth[node] = (uint8_t)((depth[n] > depth[m] ? depth[n] : depth[m]) + 1);
    dl[n] = dl[m] = (uint16_t)node;
    heap[1] = node++;
    down_heap(s, fc, 1);
  } while (s->heap_len >= 2);
  heap[--s->heap_max] = heap[1];
  gen_bit_lengths(s, t, kind);
  gen_codes(fc, dl, max_code, s->bl_count, s->next_code);
}

/*
 * scan_tree (send == 0: counts the bit-length codes) and send_tree (send == 1: writes them),
 * one walk as in the reference's two identical loops.
 */
static void walk_tree(gzd_state *s, gzd_tree *t, int send) {
  uint16_t *dl = t->dl;
  uint16_t *bc = s->bltree.fc, *bl = s->bltree.dl;
  gzd_bits *out = &s->out;
  const int32_t max_code = t->max_code;
  int32_t prevlen = -1;
  uint32_t nextlen = dl[0];
  uint32_t count = 0, max_count = 7, min_count = 4;
  if (nextlen == 0) {
    max_count = 138;
    min_count = 3;
  }
  if (!send) dl[max_code + 1] = 0xffff; /* guard, also read by the send walk */
  for (int32_t n = 0; n <= max_code; n++) {
    uint32_t curlen = nextlen;
    nextlen = dl[n + 1];
    if (++count < max_count && curlen == nextlen) continue;
    if (count < min_count) {
      if (!send) bc[curlen] = (uint16_t)(bc[curlen] + count);
      else
        do gzd_bits_put(out, bc[curlen], bl[curlen]);
        while (--count != 0);
    } else if (curlen != 0) {
      if ((int32_t)curlen != prevlen) {
        if (!send) bc[curlen]++;
        else {
          gzd_bits_put(out, bc[curlen], bl[curlen]);
          count--;
        }
      }
      if (!send) bc[REP_3_6]++;
      else {
        gzd_bits_put(out, bc[REP_3_6], bl[REP_3_6]);
        gzd_bits_put(out, count - 3, 2);
      }
    } else if (count <= 10) {
      if (!send) bc[REPZ_3_10]++;
      else {
        gzd_bits_put(out, bc[REPZ_3_10], bl[REPZ_3_10]);
        gzd_bits_put(out, count - 3, 3);
      }
    } else if (!send)
      bc[REPZ_11_138]++;
    else {
      gzd_bits_put(out, bc[REPZ_11_138], bl[REPZ_11_138]);
      gzd_bits_put(out, count - 11, 7);
    }
    count = 0;
    prevlen = (int32_t)curlen;
    if (nextlen == 0) {
      max_count = 138;
      min_count = 3;
    } else if (curlen == nextlen) {
      max_count = 6;
      min_count = 3;
    } else {
      max_count = 7;
      min_count = 4;
    }
  }
}

static void compress_block(gzd_state *s, const uint16_t *lc, const uint16_t *ll, const uint16_t *dc,
                           const uint16_t *dlen) {
  gzd_bits *out = &s->out;
  uint32_t dx = 0, fx = 0, flag = 0;
  for (uint32_t lx = 0; lx < s->last_lit; lx++) {
    if ((lx & 7) == 0) flag = s->flag_buf[fx++];
    uint32_t v = s->l_buf[lx];
    if ((flag & 1) == 0) gzd_bits_put(out, lc[v], ll[v]);
    else {
      uint32_t code = s->length_code[v];
      gzd_bits_put(out, lc[code + LITERALS + 1], ll[code + LITERALS + 1]);
      uint32_t extra = extra_lbits(code);
      if (extra != 0) gzd_bits_put(out, v - (uint32_t)s->base_length[code], extra);
      v = s->d_buf[dx++];
      code = d_code(s, v);
      gzd_bits_put(out, dc[code], dlen[code]);
      extra = extra_dbits(code);
      if (extra != 0) gzd_bits_put(out, v - (uint32_t)s->base_dist[code], extra);
    }
    flag >>= 1;
  }
  gzd_bits_put(out, lc[END_BLOCK], ll[END_BLOCK]);
}

/* Ends the block; `stored` is its input while still in the window (else 0: no stored block). */
void gzd_flush_block(gzd_state *s, const uint8_t *stored, uint32_t stored_len, int eof) {
  gzd_bits *out = &s->out;
  s->flag_buf[s->last_flags] = (uint8_t)s->flags;
  build_tree(s, &s->ltree, LTREE);
  build_tree(s, &s->dtree, DTREE);
  walk_tree(s, &s->ltree, 0);
  walk_tree(s, &s->dtree, 0);
  build_tree(s, &s->bltree, BLTREE);
  int32_t max_bl_index = GZD_BL_CODES - 1;
  for (; max_bl_index >= 3; max_bl_index--)
    if (s->bltree.dl[bl_order((uint32_t)max_bl_index)] != 0) break;
  s->opt_len += 3 * (max_bl_index + 1) + 5 + 5 + 4;

  uint32_t opt_len_b = (uint32_t)(s->opt_len + 3 + 7) >> 3;
  uint32_t static_len_b = (uint32_t)(s->static_len + 3 + 7) >> 3;
  if (static_len_b <= opt_len_b) opt_len_b = static_len_b;
  uint32_t last = eof ? 1 : 0;
  if (stored && stored_len + 4 <= opt_len_b) {
    gzd_bits_put(out, last, 3);
    gzd_bits_align(out);
    gzd_bits_put(out, stored_len & 0xffff, 16);
    gzd_bits_put(out, ~stored_len & 0xffff, 16);
    if (out->len + stored_len <= out->cap) __builtin_memcpy(out->buf + out->len, stored, stored_len);
    else out->overflow = 1;
    out->len += stored_len;
  } else if (static_len_b == opt_len_b) {
    gzd_bits_put(out, 2 + last, 3);
    compress_block(s, s->static_lcode, s->static_llen, s->static_dcode, s->static_dlen);
  } else {
    gzd_bits_put(out, 4 + last, 3);
    gzd_bits_put(out, (uint32_t)s->ltree.max_code + 1 - 257, 5);
    gzd_bits_put(out, (uint32_t)s->dtree.max_code, 5);
    gzd_bits_put(out, (uint32_t)max_bl_index + 1 - 4, 4);
    for (int32_t r = 0; r <= max_bl_index; r++) gzd_bits_put(out, s->bltree.dl[bl_order((uint32_t)r)], 3);
    walk_tree(s, &s->ltree, 1);
    walk_tree(s, &s->dtree, 1);
    compress_block(s, s->ltree.fc, s->ltree.dl, s->dtree.fc, s->dtree.dl);
  }
  gzd_init_block(s);
  if (eof) gzd_bits_align(out);
}
