// Plain tar entries walked in one call, for the in-engine adapter (adapter.c's rules: no data, no
// static, no stack). delta/core/tar/walk-plain.ts is the same walk in TypeScript and says what
// "plain" means; wasm/tar-walk.test.ts holds the two to the same answers. QuickJS spent ~6 us of
// interpreted steps per header of OLD's layout; this walks a read's headers in one call.
#include <stddef.h>
#include <stdint.h>

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);

#define BLOCK 512u

static inline int is_end(uint8_t c) { return c == 0 || c == 0x20; }

/* The n octal digits at h[o], or -1 when a byte is not one. */
static inline int64_t octal(const uint8_t *h, int o, int n) {
  int64_t v = 0;
  for (int i = 0; i < n; i++) {
    uint32_t d = h[o + i] ^ 0x30u;
    if (d > 7) return -1;
    v = v * 8 + d;
  }
  return v;
}

/* The checksum field (148..155) when it is six digits and an end, else -1 (plainStoredSum). */
static inline int64_t stored_sum(const uint8_t *h) {
  int64_t v = octal(h, 148, 6);
  return v >= 0 && is_end(h[154]) ? v : -1;
}

/* The size field (124..135): ten digits and an end, or eleven and an end, under 2^32; else -1. */
static inline int64_t plain_size(const uint8_t *h) {
  int64_t v = octal(h, 124, 10);
  if (v < 0) return -1;
  if (is_end(h[134])) return v;
  if ((h[134] ^ 0x30u) < 8 && is_end(h[135])) {
    v = v * 8 + (h[134] ^ 0x30u);
    return v < ((int64_t)1 << 32) ? v : -1;
  }
  return -1;
}

/* The unsigned sum of the header's bytes, the checksum field counted as spaces. */
static inline uint32_t header_sum(const uint8_t *h) {
  uint32_t sum = 8 * 0x20;
  for (uint32_t i = 0; i < 148; i++) sum += h[i];
  for (uint32_t i = 156; i < BLOCK; i++) sum += h[i];
  return sum;
}

static inline int special(uint8_t t) {
  return t == 0x78 || t == 0x67 || t == 0x4c || t == 0x4b || t == 0x4e || t == 0x53;
}

/*
 * One walk from `at`. With `out`, each entry's (data offset, size) is written from out[1], and with
 * `meta`, the bytes from `meta_from` to the last data start, data left out. Returns the entry count
 * in the low 32 bits and the end in the high 32 (no out-parameters: a local whose address is taken
 * would need a stack); `meta_bytes` is counted by walk_meta_bytes, the same walk without output.
 */
static inline uint64_t walk(const uint8_t *buf, uint32_t len, uint32_t at, uint32_t limit, uint32_t *out,
                            uint8_t *meta, uint32_t meta_from) {
  uint32_t p = at;
  uint32_t n = 0;
  uint32_t from = meta_from;
  uint32_t m = 0;
  while ((uint64_t)p + BLOCK <= len && buf[p] != 0) {
    const uint8_t *h = buf + p;
    int64_t stored = stored_sum(h);
    if (stored < 0 || header_sum(h) != (uint64_t)stored) break;
    uint8_t t = h[156] ? h[156] : 0x30;
    if (special(t)) break;
    int64_t size = plain_size(h);
    if (size < 0) break;
    if (t >= 0x31 && t <= 0x36) size = 0;
    uint64_t data = (uint64_t)p + BLOCK;
    uint64_t next = data + (uint64_t)size + ((BLOCK - (uint64_t)size % BLOCK) % BLOCK);
    if (next > limit) break;
    if (out) {
      out[1 + 2 * n] = (uint32_t)data;
      out[2 + 2 * n] = (uint32_t)size;
    }
    if (size > 0) {
      uint32_t gap = (uint32_t)data - from;
      if (meta) __builtin_memcpy(meta + m, buf + from, gap);
      m += gap;
      from = (uint32_t)(data + size);
    }
    n++;
    p = (uint32_t)next;
  }
  return out ? ((uint64_t)p << 32) | n : ((uint64_t)m << 32) | n;
}

/*
 * kernels.tar-walk: (list<u8>, at, limit, meta-from) -> tar-walked { spans: list<u32>, meta:
 * list<u8> }, as walk-plain.ts returns them. Walked twice, the first time to count: each list is
 * allocated at its exact size (the engine frees it by that size after lifting it); an empty meta
 * gets no allocation (any aligned pointer will do for an empty list).
 */
__attribute__((export_name("tar-walk"))) void tar_walk(const uint8_t *buf, uint32_t len, uint32_t at,
                                                          uint32_t limit, uint32_t meta_from,
                                                          uint32_t *retptr) {
  uint64_t counted = walk(buf, len, at, limit, 0, 0, meta_from);
  uint32_t n = (uint32_t)counted;
  uint32_t meta_bytes = (uint32_t)(counted >> 32);
  uint32_t *out = cabi_realloc(0, 0, 4, 4 * (1 + 2 * (size_t)n));
  uint8_t *meta = meta_bytes ? cabi_realloc(0, 0, 1, meta_bytes) : 0;
  out[0] = (uint32_t)(walk(buf, len, at, limit, out, meta, meta_from) >> 32);
  retptr[0] = (uint32_t)(uintptr_t)out;
  retptr[1] = 1 + 2 * n;
  retptr[2] = meta ? (uint32_t)(uintptr_t)meta : 1;
  retptr[3] = meta_bytes;
}
