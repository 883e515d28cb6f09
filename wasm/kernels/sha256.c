// SHA-256 (FIPS 180-4) over a caller-owned context, with no static data and no stack use (see
// sha256-rounds.h), for the in-engine adapter (adapter.c). The component hashes every rebuilt
// byte at least once; interpreted JS does that at well under 1 MB/s.
#include "sha256.h"

#include "sha256-rounds.h"

void sha256_init(sha256_ctx *c) {
  c->state[0] = 0x6a09e667u;
  c->state[1] = 0xbb67ae85u;
  c->state[2] = 0x3c6ef372u;
  c->state[3] = 0xa54ff53au;
  c->state[4] = 0x510e527fu;
  c->state[5] = 0x9b05688cu;
  c->state[6] = 0x1f83d9abu;
  c->state[7] = 0x5be0cd19u;
  c->length = 0;
  c->filled = 0;
}

void sha256_update(sha256_ctx *c, const uint8_t *data, size_t n) {
  c->length += n;
  if (c->filled) {
    while (n && c->filled < 64) {
      c->block[c->filled++] = *data++;
      n--;
    }
    if (c->filled < 64) return;
    sha256_blocks(c->state, c->block, 1);
    c->filled = 0;
  }
  sha256_blocks(c->state, data, (uint32_t)(n / 64));
  data += n & ~(size_t)63;
  n &= 63;
  for (size_t i = 0; i < n; i++) c->block[i] = data[i];
  c->filled = (uint32_t)n;
}

/* Pads in the context's own block: 0x80, zeros, the bit length big-endian. Resets after. */
void sha256_final(sha256_ctx *c, uint8_t out[32]) {
  uint64_t bits = c->length * 8;
  uint32_t f = c->filled;
  c->block[f++] = 0x80;
  if (f > 56) {
    while (f < 64) c->block[f++] = 0;
    sha256_blocks(c->state, c->block, 1);
    f = 0;
  }
  while (f < 56) c->block[f++] = 0;
  for (int i = 0; i < 8; i++) c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_blocks(c->state, c->block, 1);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(c->state[i] >> 24);
    out[4 * i + 1] = (uint8_t)(c->state[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->state[i] >> 8);
    out[4 * i + 3] = (uint8_t)c->state[i];
  }
  sha256_init(c);
}
