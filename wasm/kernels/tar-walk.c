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

/* The checksum field (148..155) when it is six digits and an end, else -1. */
static inline int64_t stored_sum(const uint8_t *h) {
  int64_t v = 0;
  for (int i = 0; i < 6; i++) {
    uint32_t d = h[148 + i] ^ 0x30u;
    if (d > 7) return -1;
    v = v * 8 + d;
  }
  return is_end(h[154]) ? v : -1;
}

/* The size field (124..135) when it is ten digits and an end, or eleven and an end; else -1. */
static inline int64_t plain_size(const uint8_t *h) {
  int64_t v = 0;
  for (int i = 0; i < 10; i++) {
    uint32_t d = h[124 + i] ^ 0x30u;
    if (d > 7) return -1;
    v = v * 8 + d;
  }
  uint8_t c10 = h[134];
  if (is_end(c10)) return v;
  if ((c10 ^ 0x30u) < 8 && is_end(h[135])) {
    v = v * 8 + (c10 ^ 0x30u);
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
 * One walk from `at`; with `out`, each entry's (data offset, size) is written from out[1]. Returns
 * the entry count in the low 32 bits and the end in the high 32 (no out-parameters: a local whose
 * address is taken would need a stack).
 */
static inline uint64_t walk(const uint8_t *buf, uint32_t len, uint32_t at, uint32_t limit, uint32_t *out) {
  uint32_t p = at;
  uint32_t n = 0;
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
    n++;
    p = (uint32_t)next;
  }
  return ((uint64_t)p << 32) | n;
}

/*
 * kernels.tar-walk: (list<u8>, at: u32, limit: u32) -> list<u32>, [end, data offset, size, ...]
 * as walk-plain.ts returns. Walked twice, the first time to count: the list is allocated at its
 * exact size (the engine frees it by that size after lifting it).
 */
__attribute__((export_name("tar-walk"))) void tar_walk(const uint8_t *buf, uint32_t len, uint32_t at,
                                                          uint32_t limit, uint32_t *retptr) {
  uint32_t n = (uint32_t)walk(buf, len, at, limit, 0);
  uint32_t *out = cabi_realloc(0, 0, 4, 4 * (1 + 2 * (size_t)n));
  out[0] = (uint32_t)(walk(buf, len, at, limit, out) >> 32);
  retptr[0] = (uint32_t)(uintptr_t)out;
  retptr[1] = 1 + 2 * n;
}
