#ifndef ALOFT_KERNELS_SHA256_H
#define ALOFT_KERNELS_SHA256_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  uint32_t filled; /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const uint8_t *data, size_t n);
/** Writes the digest and resets the context, so one context can hash many inputs. */
void sha256_final(sha256_ctx *c, uint8_t out[32]);

#endif
