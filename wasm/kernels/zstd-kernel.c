// The `zstd` resource of the `kernels` interface: zstd's own decoder (the vendored
// node_modules/zstd-napi/deps/zstd/lib, decompress only) decoding one block per call into a
// buffer it owns, with the history kept in place between calls. wasm/src/zstd-decoder.ts calls
// it with the shape of delta/core's ZstdDecoder; the frame header, window and size limits are
// still checked by delta/core's StreamReader.
//
// Memory: this module runs on the engine's memory (wasm/kernels.mjs builds it position-
// independent and gives it its own tables and stack from one cabi_realloc block). Every byte it
// writes is in a block cabi_realloc handed it: the DCtx, the buffer, and the returned lists.
// zstd writes a block's output only inside [dst, dst + dstCapacity) and its literals inside the
// DCtx or that same range, so the buffer bounds every write, whatever the input.
#include <stddef.h>
#include <stdint.h>

#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"
#include "zstd_decompress_internal.h"

#define EXPORT(name) __attribute__((export_name(name), visibility("default")))

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);

/*
 * Defined by wasm/kernels.mjs's rewrite, not imported: on its first call, takes one block from
 * cabi_realloc for this module's constant tables and stack.
 */
__attribute__((import_module("aloft"), import_name("init"))) void aloft_init(void);

/* zstd's default allocator paths are unreachable with a static DCtx; they get nothing. */
void *malloc(size_t n) {
  (void)n;
  return 0;
}
void *calloc(size_t n, size_t size) {
  (void)n, (void)size;
  return 0;
}
void free(void *p) { (void)p; }

/* Errors that are not zstd's own (its codes stay below 128). */
enum { ZK_WIRE_SHORT = 200, ZK_NO_ROOM = 201, ZK_NOT_STARTED = 202 };

typedef struct {
  ZSTD_DCtx *d;
  uint8_t *buf;
  uint32_t cap;
  /** buf[0, pos) is this frame's latest output; the next block decodes at buf + pos. */
  uint32_t pos;
  uint32_t window;
  uint32_t started;
} zk_t;

/* The result<list<u8>, u32> the canonical ABI lowers `block` to, at retptr. */
static void ok(uint8_t *ret, uint8_t *ptr, uint32_t len) {
  ret[0] = 0;
  ((uint32_t *)ret)[1] = (uint32_t)(uintptr_t)ptr;
  ((uint32_t *)ret)[2] = len;
}
static void fail(uint8_t *ret, uint32_t code) {
  ret[0] = 1;
  ((uint32_t *)ret)[1] = code;
}

/* [constructor]zstd: (capacity) -> own<zstd>: a DCtx and a buffer of `capacity` bytes, kept for reuse. */
EXPORT("zstd-new")
uint32_t zstd_new(uint32_t capacity) {
  aloft_init();
  zk_t *z = cabi_realloc(0, 0, 8, sizeof *z);
  size_t dsize = ZSTD_estimateDCtxSize();
  z->d = ZSTD_initStaticDCtx(cabi_realloc(0, 0, 8, dsize), dsize);
  z->buf = cabi_realloc(0, 0, 8, capacity ? capacity : 1);
  z->cap = capacity;
  z->pos = 0;
  z->window = 0;
  z->started = 0;
  return (uint32_t)(uintptr_t)z;
}

/*
 * [method]zstd.reset: (borrow<zstd>, window) -> bool. Starts a frame whose back-references reach at
 * most `window` bytes. The frame header (already checked by StreamReader) is synthesised: windowLog
 * rounded up, then the exact window and block maximum set as a frame header of that window would.
 */
EXPORT("zstd-reset")
uint32_t zstd_reset(uint32_t self, uint32_t window) {
  zk_t *z = (zk_t *)(uintptr_t)self;
  z->started = 0;
  z->pos = 0;
  if (window == 0 || window > ((uint32_t)1 << ZSTD_WINDOWLOG_MAX_32)) return 0;
  unsigned log = ZSTD_WINDOWLOG_ABSOLUTEMIN;
  while (((uint32_t)1 << log) < window) log++;
  ZSTD_DCtx *d = z->d;
  if (ZSTD_isError(ZSTD_decompressBegin(d))) return 0;
  /* magic, frame header descriptor 0 (a window descriptor, no checksum, no content size), window */
  const uint8_t h[6] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, (uint8_t)((log - ZSTD_WINDOWLOG_ABSOLUTEMIN) << 3)};
  if (ZSTD_isError(ZSTD_decompressContinue(d, 0, 0, h, 5))) return 0;
  if (ZSTD_nextSrcSizeToDecompress(d) != 1) return 0;
  if (ZSTD_isError(ZSTD_decompressContinue(d, 0, 0, h + 5, 1))) return 0;
  d->fParams.windowSize = window;
  d->fParams.blockSizeMax = window < ZSTD_BLOCKSIZE_MAX ? window : ZSTD_BLOCKSIZE_MAX;
  z->window = window;
  z->started = 1;
  return 1;
}

/*
 * [method]zstd.block: (borrow<zstd>, wire: list<u8>, room: u32) -> result<list<u8>, u32>. `wire`
 * is one block, 3-byte header then body; at most `room` bytes may come out. The output is a copy
 * in a fresh list (the caller's glue owns and frees it); the history stays in the buffer.
 */
EXPORT("zstd-block")
void zstd_block(uint32_t self, const uint8_t *wire, uint32_t n, uint32_t room, uint8_t *ret) {
  zk_t *z = (zk_t *)(uintptr_t)self;
  ZSTD_DCtx *d = z->d;
  if (!z->started) return fail(ret, ZK_NOT_STARTED);
  if (n < 3) return fail(ret, ZK_WIRE_SHORT);
  if (room > z->cap - z->pos) {
    /* Keep the last `window` bytes at the front: all a back-reference may reach. */
    uint32_t keep = z->pos < z->window ? z->pos : z->window;
    __builtin_memmove(z->buf, z->buf + z->pos - keep, keep);
    z->pos = keep;
    if (room > z->cap - z->pos) return fail(ret, ZK_NO_ROOM);
  }
  uint8_t *dst = z->buf + z->pos;
  /*
   * History: the frame's bytes in the buffer, at most `window` back. One contiguous prefix and no
   * external segment, so an offset reaching further back is zstd's corruption_detected.
   */
  const uint8_t *hist = dst - (z->pos < z->window ? z->pos : z->window);
  d->previousDstEnd = dst;
  d->prefixStart = hist;
  d->virtualStart = hist;
  d->dictEnd = hist;
  size_t r = ZSTD_decompressContinue(d, 0, 0, wire, 3);
  if (ZSTD_isError(r)) return fail(ret, (uint32_t)ZSTD_getErrorCode(r));
  size_t out = 0;
  if (d->stage == ZSTDds_decompressBlock || d->stage == ZSTDds_decompressLastBlock) {
    size_t body = ZSTD_nextSrcSizeToDecompress(d);
    if (body > n - 3) return fail(ret, ZK_WIRE_SHORT);
    out = ZSTD_decompressContinue(d, dst, room, wire + 3, body);
    if (ZSTD_isError(out)) return fail(ret, (uint32_t)ZSTD_getErrorCode(out));
  }
  z->pos += (uint32_t)out;
  /* The engine's glue frees a returned list only when it is not empty: allocate none for it. */
  uint8_t *list = (uint8_t *)1;
  if (out) {
    list = cabi_realloc(0, 0, 1, out);
    __builtin_memcpy(list, dst, out);
  }
  ok(ret, list, (uint32_t)out);
}

/* [resource-drop]zstd: decoders are pooled (wasm/src/zstd-decoder.ts); cabi_realloc cannot free. */
EXPORT("zstd-drop")
void zstd_drop(uint32_t self) { (void)self; }
