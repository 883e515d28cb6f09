// bspatch's add step, shared by the add-bytes kernel (adapter.c) and the bspatch kernel
// (bspatch.c): out[i] = diff[i] + old[i] (mod 256).
#ifndef ALOFT_ADD_RUN_H
#define ALOFT_ADD_RUN_H

#include <stdint.h>

/* Eight lanes at a time, carries kept inside each byte (SWAR). */
static inline void add_run(uint8_t *out, const uint8_t *diff, const uint8_t *old, uint32_t n) {
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    __builtin_memcpy(&a, diff + i, 8);
    __builtin_memcpy(&b, old + i, 8);
    uint64_t low = (a & 0x7f7f7f7f7f7f7f7fULL) + (b & 0x7f7f7f7f7f7f7f7fULL);
    uint64_t sum = low ^ ((a ^ b) & 0x8080808080808080ULL);
    __builtin_memcpy(out + i, &sum, 8);
  }
  for (; i < n; i++) out[i] = (uint8_t)(diff[i] + old[i]);
}

#endif
