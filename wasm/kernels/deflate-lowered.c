// The gzip codec's functions as the engine's lowered imports call them (see adapter.c for the
// rules of running on the engine's memory): the `gzip-codec` resource of the `kernels` WIT
// interface. A handle is the address of one gzip_codec (~0.45 MB of windows and tables, from the
// engine's cabi_realloc); the engine keeps one and reuses it.
#include <stddef.h>
#include <stdint.h>

#include "deflate.h"
#include "inflate.h"

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);

typedef struct {
  gzd_state deflate;
  gzi_state inflate;
  uint32_t crc_table[8 * 256];
} gzip_codec;

void *gzi_realloc(void *p, uint32_t old_size, uint32_t new_size) {
  return cabi_realloc(p, old_size, 1, new_size);
}

/* [constructor]gzip-codec: () -> own<gzip-codec>. */
EXPORT("gzip-codec-new")
uint32_t gzip_codec_new(void) {
  gzip_codec *c = cabi_realloc(0, 0, 8, sizeof *c);
  gzd_init(&c->deflate);
  gzi_init(&c->inflate);
  gzd_crc32_init(c->crc_table);
  return (uint32_t)(uintptr_t)c;
}

/*
 * [method]gzip-codec.deflate: (borrow<gzip-codec>, input: list<u8>, level: u8) -> list<u8>.
 * A level outside 4-9 (the engine checks it first) or no memory gives an empty list: a deflate
 * stream is never empty.
 */
EXPORT("gzip-codec-deflate")
void gzip_codec_deflate(uint32_t self, const uint8_t *input, uint32_t len, uint32_t level, uint32_t *retptr) {
  gzip_codec *c = (gzip_codec *)(uintptr_t)self;
  uint32_t cap = gzd_bound(len);
  uint8_t *out = cabi_realloc(0, 0, 1, cap);
  int32_t n = out ? gzd_deflate(&c->deflate, input, len, (int32_t)level, out, cap) : -2;
  retptr[0] = (uint32_t)(uintptr_t)out;
  retptr[1] = n < 0 ? 0 : (uint32_t)n;
}

/*
 * [method]gzip-codec.inflate: (borrow<gzip-codec>, input: list<u8>, offset: u32, max-size: u32,
 * exact: bool) -> inflated { status: u32, end: u32, data: list<u8> }. The data is what was
 * inflated before an error too (the caller frees it either way).
 */
EXPORT("gzip-codec-inflate")
void gzip_codec_inflate(uint32_t self, const uint8_t *input, uint32_t len, uint32_t offset, uint32_t max_size,
                        uint32_t exact, uint32_t *retptr) {
  gzi_state *s = &((gzip_codec *)(uintptr_t)self)->inflate;
  uint32_t status = gzi_inflate(s, input, len, offset, max_size, exact != 0);
  retptr[0] = status;
  retptr[1] = s->end;
  retptr[2] = (uint32_t)(uintptr_t)s->out;
  retptr[3] = s->out ? s->out_len : 0;
}

/* [method]gzip-codec.crc32: (borrow<gzip-codec>, data: list<u8>, crc: u32) -> u32. */
EXPORT("gzip-codec-crc32")
uint32_t gzip_codec_crc32(uint32_t self, const uint8_t *data, uint32_t len, uint32_t crc) {
  return gzd_crc32(((gzip_codec *)(uintptr_t)self)->crc_table, data, len, crc);
}

/* [resource-drop]gzip-codec: cabi_realloc cannot free, so a dropped codec stays allocated. */
EXPORT("gzip-codec-drop")
void gzip_codec_drop(uint32_t self) { (void)self; }
