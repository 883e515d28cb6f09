// The tar header checksum's sum for the in-engine adapter (adapter.c's rules: no data, no
// static, no stack). delta/core/tar/header-sum.ts is the same sum in TypeScript; QuickJS ran its
// loop at ~11 us a header, this kernel takes a call (~1-2 us) instead.
#include <stdint.h>

/*
 * kernels.tar-header-sum: (list<u8>) -> u32, the bytes summed with 148..155 counted as spaces. A
 * list longer than a block ends with the header (delta/core's scan hands over the padding before
 * it too, the view it keeps as meta anyway: a subarray costs QuickJS ~0.4 us): its last 512 bytes.
 */
__attribute__((export_name("tar-header-sum"))) uint32_t tar_header_sum(const uint8_t *p, uint32_t len) {
  if (len > 512) {
    p += len - 512;
    len = 512;
  }
  uint32_t n = len;
  uint32_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += i >= 148 && i < 156 ? 0x20 : p[i];
  return sum;
}
