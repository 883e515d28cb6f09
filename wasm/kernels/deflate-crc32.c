// CRC-32 (gzip's trailer, RFC 1952) slicing by 8 over a table computed into the caller's memory:
// delta/core/deflate/gzip.ts's crc32 runs every gzip entry's content through it twice (the old
// member's check and the rebuilt trailer), which interpreted JS does at a few MB/s.
#include "deflate.h"

void gzd_crc32_init(uint32_t table[8 * 256]) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (uint32_t k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  for (uint32_t n = 0; n < 256; n++)
    for (uint32_t k = 1; k < 8; k++) table[k * 256 + n] = (table[(k - 1) * 256 + n] >> 8) ^ table[table[(k - 1) * 256 + n] & 0xff];
}

uint32_t gzd_crc32(const uint32_t table[8 * 256], const uint8_t *p, uint32_t n, uint32_t crc) {
  uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint32_t lo = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    lo ^= c;
    c = table[7 * 256 + (lo & 0xff)] ^ table[6 * 256 + ((lo >> 8) & 0xff)] ^ table[5 * 256 + ((lo >> 16) & 0xff)] ^
        table[4 * 256 + (lo >> 24)] ^ table[3 * 256 + (hi & 0xff)] ^ table[2 * 256 + ((hi >> 8) & 0xff)] ^
        table[256 + ((hi >> 16) & 0xff)] ^ table[hi >> 24];
  }
  while (n--) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}
