// Apply's output stream as a kernel in the engine (the `apply-output` resource; delta/core's
// OutputKernel port, delta/core/patch/output-kernel.ts). In QuickJS every output byte crossed
// four copies (io.read into the engine, into a QuickJS array, into the staging array, lowered again
// for the hash and for io.write), and each unchanged file cost microseconds of interpreted steps.
// Here the meta and the unchanged files of a run come from one call: OLD's bytes are read through
// the engine's own lowered `io.read` into this module's window, copied once into the stage (or
// not at all, when large), hashed there, and leave through the lowered `io.write`. A changed
// file's bspatch entry runs straight into the stage (patch()), and its bytes are hashed on their
// own too for the file's check (begin-file, file-digest): they never go back to the engine.
//
// Like the rest of the adapter: no data segment, no stack; all memory from the engine's
// cabi_realloc. io.read's result is a block that cabi_realloc made for it; shrinking it to one
// byte gives the rest back to the allocator (cabi_realloc cannot free outright).
#include <stddef.h>
#include <stdint.h>

#include "bspatch.h"
#include "sha256.h"

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);
/* The engine's lowered `io` functions: read(blob, offset, length) -> list<u8>, write(list<u8>). */
__attribute__((import_module("env"), import_name("io-read"))) void io_read(uint32_t blob, uint64_t offset,
                                                                             uint32_t length, uint32_t *ret);
__attribute__((import_module("env"), import_name("io-write"))) void io_write(const uint8_t *ptr, uint32_t len);

#define BLOB_OLD 0
/* Output leaves in pieces of up to STAGE bytes; pieces of DIRECT and more skip the stage. */
#define STAGE (1u << 20)
#define DIRECT (1u << 16)
/* OLD is read in windows of WINDOW bytes (an unchanged file larger than that, in pieces of it). */
#define WINDOW (1u << 20)

/* copy()'s answers (delta/core/patch/output-kernel.ts has the same numbers). */
#define COPY_OK 0
#define COPY_META_SHORT 1
#define COPY_OLD_SHORT 2

typedef struct {
  sha256_ctx hash;
  /* A changed file's own hash, while `filing`: between begin-file and file-digest. */
  sha256_ctx file;
  uint32_t filing;
  uint8_t *stage;
  uint32_t used;
  uint8_t *meta;
  uint32_t meta_cap, meta_len, meta_pos;
  uint8_t *window;
  uint32_t window_len;
  uint64_t window_start;
  double old_size;
  uint32_t ret[2];
} output_state;

static void copy_bytes(uint8_t *to, const uint8_t *from, uint32_t n) { __builtin_memcpy(to, from, n); }

static void give_back(uint8_t *p, uint32_t n) {
  if (p && n > 1) cabi_realloc(p, n, 1, 1);
}

static void send(output_state *s, const uint8_t *p, uint32_t n) {
  sha256_update(&s->hash, p, n);
  io_write(p, n);
}

static void flush(output_state *s) {
  if (!s->used) return;
  send(s, s->stage, s->used);
  s->used = 0;
}

/* Output bytes in order: gathered when small, sent as they are when large. */
static void put(output_state *s, const uint8_t *p, uint32_t n) {
  if (s->filing) sha256_update(&s->file, p, n);
  if (n >= DIRECT) {
    flush(s);
    send(s, p, n);
    return;
  }
  if (s->used + n > STAGE) flush(s);
  copy_bytes(s->stage + s->used, p, n);
  s->used += n;
}

static void drop_window(output_state *s) {
  give_back(s->window, s->window_len);
  s->window = 0;
  s->window_len = 0;
}

/* OLD's bytes [offset, offset + n) for n <= WINDOW, from the window or a new one; 0 if short. */
static const uint8_t *old_bytes(output_state *s, uint64_t offset, uint32_t n) {
  if (s->window && offset >= s->window_start && offset + n <= s->window_start + s->window_len)
    return s->window + (offset - s->window_start);
  drop_window(s);
  double room = s->old_size - (double)offset;
  uint32_t want = room < WINDOW ? (uint32_t)room : WINDOW;
  if (want < n) want = n;
  io_read(BLOB_OLD, offset, want, s->ret);
  s->window = (uint8_t *)(uintptr_t)s->ret[0];
  s->window_len = s->ret[1];
  s->window_start = offset;
  return s->window_len >= n ? s->window : 0;
}

EXPORT("apply-output-new")
uint32_t apply_output_new(void) {
  output_state *s = cabi_realloc(0, 0, 8, sizeof *s);
  sha256_init(&s->hash);
  sha256_init(&s->file);
  s->filing = 0;
  s->stage = cabi_realloc(0, 0, 8, STAGE);
  s->used = 0;
  s->meta = 0;
  s->meta_cap = s->meta_len = s->meta_pos = 0;
  s->window = 0;
  s->window_len = 0;
  s->window_start = 0;
  s->old_size = 0;
  return (uint32_t)(uintptr_t)s;
}

/* The engine keeps one and never drops it; a dropped one keeps its memory (see adapter.c). */
EXPORT("apply-output-drop")
void apply_output_drop(uint32_t self) { (void)self; }

/* [method]apply-output.start: (meta: list<u8>, old-size: f64). Anything left of an apply that failed is dropped. */
EXPORT("apply-output-start")
void apply_output_start(uint32_t self, const uint8_t *meta, uint32_t len, double old_size) {
  output_state *s = (output_state *)(uintptr_t)self;
  sha256_init(&s->hash);
  sha256_init(&s->file);
  s->filing = 0;
  s->used = 0;
  drop_window(s);
  if (len > s->meta_cap) {
    s->meta = cabi_realloc(s->meta, s->meta_cap, 1, len);
    s->meta_cap = len;
  }
  copy_bytes(s->meta, meta, len);
  s->meta_len = len;
  s->meta_pos = 0;
  s->old_size = old_size;
}

EXPORT("apply-output-write")
void apply_output_write(uint32_t self, const uint8_t *p, uint32_t n) { put((output_state *)(uintptr_t)self, p, n); }

/* [method]apply-output.copy: (plan: list<u32>) -> u32; the plan is quads, see the WIT. */
EXPORT("apply-output-copy")
uint32_t apply_output_copy(uint32_t self, const uint32_t *plan, uint32_t len) {
  output_state *s = (output_state *)(uintptr_t)self;
  for (uint32_t i = 0; i + 4 <= len; i += 4) {
    uint32_t m = plan[i];
    if (m > s->meta_len - s->meta_pos) return COPY_META_SHORT;
    if (m) put(s, s->meta + s->meta_pos, m);
    s->meta_pos += m;
    uint64_t offset = ((uint64_t)plan[i + 1] << 32) | plan[i + 2];
    uint32_t size = plan[i + 3];
    if ((double)offset + size > s->old_size) return COPY_OLD_SHORT;
    while (size) {
      uint32_t n = size < WINDOW ? size : WINDOW;
      const uint8_t *p = old_bytes(s, offset, n);
      if (!p) return COPY_OLD_SHORT;
      put(s, p, n);
      offset += n;
      size -= n;
    }
  }
  return COPY_OK;
}

/* [method]apply-output.begin-file: the bytes from here to file-digest are also hashed on their own. */
EXPORT("apply-output-begin-file")
void apply_output_begin_file(uint32_t self) {
  output_state *s = (output_state *)(uintptr_t)self;
  sha256_init(&s->file);
  s->filing = 1;
}

/* [method]apply-output.file-digest: () -> list<u8>, the SHA-256 of the bytes since begin-file. */
EXPORT("apply-output-file-digest")
void apply_output_file_digest(uint32_t self, uint32_t *retptr) {
  output_state *s = (output_state *)(uintptr_t)self;
  uint8_t *out = cabi_realloc(0, 0, 1, 32);
  sha256_final(&s->file, out);
  s->filing = 0;
  retptr[0] = (uint32_t)(uintptr_t)out;
  retptr[1] = 32;
}

/*
 * [method]apply-output.patch: (borrow<bspatch>) -> u32. Runs a loaded bspatch entry straight into
 * the stage (the bytes it makes never leave this module: no list to the engine and back) until it
 * needs input or is done; returns the bytes made, and the entry's next() says why it stopped.
 */
EXPORT("apply-output-patch")
uint32_t apply_output_patch(uint32_t self, uint32_t patch) {
  output_state *s = (output_state *)(uintptr_t)self;
  uint32_t made = 0;
  for (;;) {
    if (s->used == STAGE) flush(s);
    uint8_t *at = s->stage + s->used;
    uint32_t n = bspatch_make(patch, at, STAGE - s->used);
    if (s->filing) sha256_update(&s->file, at, n);
    s->used += n;
    made += n;
    if ((bspatch_next(patch) & 7) != BSPATCH_MORE) return made;
  }
}

/* [method]apply-output.finish: () -> list<u8>. Sends what is gathered; the output's SHA-256. */
EXPORT("apply-output-finish")
void apply_output_finish(uint32_t self, uint32_t *retptr) {
  output_state *s = (output_state *)(uintptr_t)self;
  flush(s);
  drop_window(s);
  uint8_t *out = cabi_realloc(0, 0, 1, 32);
  sha256_final(&s->hash, out);
  retptr[0] = (uint32_t)(uintptr_t)out;
  retptr[1] = 32;
}
