// The engine's hot loops as real wasm, exported through WIT (wasm/wit/aloft.wit: the `hash`
// and `kernels` interfaces) so the QuickJS engine calls them as ports of delta/core. The
// component made from this module is composed INSIDE the shipped engine component
// (wasm/compose.mjs): the engine still imports only `io`.
#include <stdlib.h>
#include <string.h>

#include "abi.h"
#include "sha256.h"

#define HASH "aloft:engine/hash@0.1.0"
#define KERNELS "aloft:engine/kernels@0.1.0"

uint8_t *scratch_reserve(scratch *s, size_t n) {
  if (n > s->cap) {
    free(s->ptr);
    s->cap = n < 65536 ? 65536 : n;
    s->ptr = malloc(s->cap);
    if (!s->ptr) __builtin_trap();
  }
  return s->ptr;
}

/* Memory for list arguments: the caller asks before it copies a list in. */
EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  (void)align; /* malloc aligns to 16, more than any WIT type needs */
  if (new_size == 0) return (void *)align;
  void *p = realloc(old, new_size);
  if (!p) __builtin_trap();
  return p;
}

/* ---- hash: resource sha256 ---- */

IMPORT("[export]" HASH, "[resource-new]sha256") int32_t sha256_resource_new(int32_t rep);

EXPORT(HASH "#[constructor]sha256")
int32_t sha256_constructor(void) {
  sha256_ctx *c = malloc(sizeof *c);
  if (!c) __builtin_trap();
  sha256_init(c);
  return sha256_resource_new((int32_t)(uintptr_t)c);
}

/* A borrowed handle of our own resource arrives as its representation: the context pointer. */
EXPORT(HASH "#[method]sha256.update")
void sha256_method_update(int32_t self, uint8_t *ptr, uint32_t len) {
  sha256_update((sha256_ctx *)(uintptr_t)self, ptr, len);
  if (len) free(ptr);
}

static uint8_t digest_out[32];
static list_u8 digest_ret;

EXPORT(HASH "#[method]sha256.digest")
list_u8 *sha256_method_digest(int32_t self) {
  sha256_final((sha256_ctx *)(uintptr_t)self, digest_out);
  digest_ret.ptr = digest_out;
  digest_ret.len = 32;
  return &digest_ret;
}

EXPORT(HASH "#[dtor]sha256")
void sha256_dtor(int32_t rep) { free((void *)(uintptr_t)rep); }

/* ---- kernels ---- */

static scratch add_out;
static list_u8 add_ret;

/* bspatch's add step: out[i] = diff[i] + old[i] (mod 256), over the shorter of the two. */
EXPORT(KERNELS "#add-bytes")
list_u8 *add_bytes(uint8_t *diff, uint32_t diff_len, uint8_t *old, uint32_t old_len) {
  uint32_t n = diff_len < old_len ? diff_len : old_len;
  uint8_t *out = scratch_reserve(&add_out, n);
  uint32_t i = 0;
  /* Eight lanes at a time: bytes added without carries crossing lanes (SWAR). */
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    memcpy(&a, diff + i, 8);
    memcpy(&b, old + i, 8);
    uint64_t low = (a & 0x7f7f7f7f7f7f7f7fULL) + (b & 0x7f7f7f7f7f7f7f7fULL);
    uint64_t sum = low ^ ((a ^ b) & 0x8080808080808080ULL);
    memcpy(out + i, &sum, 8);
  }
  for (; i < n; i++) out[i] = (uint8_t)(diff[i] + old[i]);
  if (diff_len) free(diff);
  if (old_len) free(old);
  add_ret.ptr = out;
  add_ret.len = n;
  return &add_ret;
}
