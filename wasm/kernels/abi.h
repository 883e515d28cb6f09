// The component-model canonical ABI as the kernels speak it by hand (no bindings generator on
// this machine): exports named `interface#function`, list arguments copied into this module's
// memory through cabi_realloc (the kernel owns and frees them), results of more than one flat
// value returned through a static area the caller reads before the next call.
#ifndef ALOFT_KERNELS_ABI_H
#define ALOFT_KERNELS_ABI_H
#include <stddef.h>
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/** A list<u8> as returned: pointer and length, read by the caller right after the call. */
typedef struct {
  uint8_t *ptr;
  uint32_t len;
} list_u8;

/** A growable scratch buffer for results (one per function; never shrinks). */
typedef struct {
  uint8_t *ptr;
  size_t cap;
} scratch;

/** Room for n bytes in s; traps when memory is exhausted (the host sees a wasm trap). */
uint8_t *scratch_reserve(scratch *s, size_t n);

#endif
