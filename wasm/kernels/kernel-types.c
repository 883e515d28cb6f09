// The kernel component of the composition (wasm/compose.mjs), which only gives the engine's
// `hash` and `kernels` imports an instance of the right types to be instantiated with. The engine
// never calls it: compose.mjs points every lowered import of those interfaces at the adapter
// (adapter.c), which runs on the engine's own memory. So each function traps if it is ever
// reached, and the module holds no code to speak of (a real SHA-256 and wasi-libc's allocator here
// were ~25 KB of the shipped component, all of it dead).
#include <stdint.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define HASH "aloft:engine/hash@0.1.0"
#define KERNELS "aloft:engine/kernels@0.1.0"

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, uint32_t old_size, uint32_t align, uint32_t new_size) {
  (void)old, (void)old_size, (void)align, (void)new_size;
  __builtin_trap();
}

EXPORT(HASH "#[constructor]sha256")
int32_t sha256_constructor(void) { __builtin_trap(); }

EXPORT(HASH "#[method]sha256.update")
void sha256_update(int32_t self, uint8_t *ptr, uint32_t len) {
  (void)self, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(HASH "#[method]sha256.digest")
void *sha256_digest(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(HASH "#[dtor]sha256")
void sha256_dtor(int32_t rep) {
  (void)rep;
  __builtin_trap();
}

EXPORT(KERNELS "#[constructor]zstd")
int32_t zstd_constructor(uint32_t capacity) {
  (void)capacity;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]zstd.reset")
int32_t zstd_reset(int32_t self, uint32_t window) {
  (void)self, (void)window;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]zstd.block")
void *zstd_block(int32_t self, uint8_t *ptr, uint32_t len, uint32_t room) {
  (void)self, (void)ptr, (void)len, (void)room;
  __builtin_trap();
}

EXPORT(KERNELS "#[dtor]zstd")
void zstd_dtor(int32_t rep) {
  (void)rep;
  __builtin_trap();
}

EXPORT(KERNELS "#[constructor]gzip-codec")
int32_t gzip_codec_constructor(void) { __builtin_trap(); }

EXPORT(KERNELS "#[method]gzip-codec.deflate")
void *gzip_codec_deflate(int32_t self, uint8_t *ptr, uint32_t len, uint32_t level) {
  (void)self, (void)ptr, (void)len, (void)level;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]gzip-codec.inflate")
void *gzip_codec_inflate(int32_t self, uint8_t *ptr, uint32_t len, uint32_t offset, uint32_t max_size,
                         uint32_t exact) {
  (void)self, (void)ptr, (void)len, (void)offset, (void)max_size, (void)exact;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]gzip-codec.crc32")
uint32_t gzip_codec_crc32(int32_t self, uint8_t *ptr, uint32_t len, uint32_t crc) {
  (void)self, (void)ptr, (void)len, (void)crc;
  __builtin_trap();
}

EXPORT(KERNELS "#[dtor]gzip-codec")
void gzip_codec_dtor(int32_t rep) {
  (void)rep;
  __builtin_trap();
}

EXPORT(KERNELS "#[constructor]bspatch")
int32_t bspatch_constructor(void) { __builtin_trap(); }

EXPORT(KERNELS "#[method]bspatch.load")
uint32_t bspatch_load(int32_t self, uint8_t *ptr, uint32_t len, double max_entries, double old_size,
                      double new_size, double diff_len, double extra_len) {
  (void)self, (void)ptr, (void)len, (void)max_entries, (void)old_size, (void)new_size, (void)diff_len,
      (void)extra_len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]bspatch.feed-diff")
void bspatch_feed_diff(int32_t self, uint8_t *ptr, uint32_t len) {
  (void)self, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]bspatch.feed-extra")
void bspatch_feed_extra(int32_t self, uint8_t *ptr, uint32_t len) {
  (void)self, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]bspatch.feed-old")
void bspatch_feed_old(int32_t self, uint32_t page, uint8_t *ptr, uint32_t len) {
  (void)self, (void)page, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]bspatch.run")
void *bspatch_run(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]bspatch.next")
uint32_t bspatch_next(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(KERNELS "#[dtor]bspatch")
void bspatch_dtor(int32_t rep) {
  (void)rep;
  __builtin_trap();
}

EXPORT(KERNELS "#tar-walk")
void *tar_walk(uint8_t *ptr, uint32_t len, uint32_t at, uint32_t limit, uint32_t meta_from) {
  (void)ptr, (void)len, (void)at, (void)limit, (void)meta_from;
  __builtin_trap();
}

EXPORT(KERNELS "#tar-header-sum")
uint32_t tar_header_sum(uint8_t *ptr, uint32_t len) {
  (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[constructor]apply-output")
int32_t apply_output_constructor(void) { __builtin_trap(); }

EXPORT(KERNELS "#[method]apply-output.start")
void apply_output_start(int32_t self, uint8_t *ptr, uint32_t len, double old_size) {
  (void)self, (void)ptr, (void)len, (void)old_size;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.write")
void apply_output_write(int32_t self, uint8_t *ptr, uint32_t len) {
  (void)self, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.copy")
uint32_t apply_output_copy(int32_t self, uint32_t *ptr, uint32_t len) {
  (void)self, (void)ptr, (void)len;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.begin-file")
void apply_output_begin_file(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.file-digest")
void *apply_output_file_digest(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.patch")
uint32_t apply_output_patch(int32_t self, int32_t entry) {
  (void)self, (void)entry;
  __builtin_trap();
}

EXPORT(KERNELS "#[method]apply-output.finish")
void *apply_output_finish(int32_t self) {
  (void)self;
  __builtin_trap();
}

EXPORT(KERNELS "#[dtor]apply-output")
void apply_output_dtor(int32_t rep) {
  (void)rep;
  __builtin_trap();
}
