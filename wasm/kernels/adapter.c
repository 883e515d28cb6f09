// The kernels as an ADAPTER inside the QuickJS engine's component: the same functions the
// `hash` and `kernels` WIT imports lower to, implemented directly on the engine's own linear
// memory. wasm/compose.mjs instantiates this module with the engine's `memory` and its
// `cabi_realloc` and wires its exports where the engine's lowered imports were, so lists pass as
// (pointer, length) in that memory with no copy across a component boundary.
//
// Rules that make sharing the memory safe: no data segment, no static variable, no stack (checked
// by wasm/kernels.mjs); every byte this code owns comes from the engine's cabi_realloc.
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);

/* The canonical ABI's lowered form of `-> list<u8>`: the callee stores (ptr, len) at retptr. */
static inline void return_list(uint32_t *retptr, uint8_t *ptr, uint32_t len) {
  retptr[0] = (uint32_t)(uintptr_t)ptr;
  retptr[1] = len;
}

/* [constructor]sha256: () -> own<sha256>. The handle is the context's address. */
EXPORT("sha256-new")
uint32_t sha256_new(void) {
  sha256_ctx *c = cabi_realloc(0, 0, 8, sizeof *c);
  sha256_init(c);
  return (uint32_t)(uintptr_t)c;
}

/* [method]sha256.update: (borrow<sha256>, list<u8>). The caller owns and frees the list. */
EXPORT("sha256-update")
void sha256_update_lowered(uint32_t self, const uint8_t *ptr, uint32_t len) {
  sha256_update((sha256_ctx *)(uintptr_t)self, ptr, len);
}

/* [method]sha256.digest: (borrow<sha256>) -> list<u8>; the context is reset for reuse. */
EXPORT("sha256-digest")
void sha256_digest_lowered(uint32_t self, uint32_t *retptr) {
  uint8_t *out = cabi_realloc(0, 0, 1, 32);
  sha256_final((sha256_ctx *)(uintptr_t)self, out);
  return_list(retptr, out, 32);
}

/*
 * [resource-drop]sha256. The engine keeps contexts in a pool (wasm/src/component-kernels.ts) and
 * drops one only when a failed apply abandons it; cabi_realloc cannot free, so that context's
 * 112 bytes stay allocated.
 */
EXPORT("sha256-drop")
void sha256_drop(uint32_t self) { (void)self; }
