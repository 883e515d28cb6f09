// bspatch over one entry's encoded control list, for the in-engine adapter (adapter.c's rules:
// no data segment, no static variable, no stack; every byte comes from the engine's
// cabi_realloc). delta/core/patch/stream-bspatch.ts walks the controls in JS: in the QuickJS
// engine that was ~20 us a control (python3.11's update has 30k), so the wasm build hands a whole
// entry to this kernel (delta/core's BspatchKernel port, wasm/src/bspatch-kernel.ts).
//
// load() checks the list exactly as delta/core does (EncodedControls' constructor, then
// checkControls); when it fails, apply takes delta/core's own path, which says what is wrong. So
// the kernel never needs messages, and it never reads or writes outside what it was given even
// for lists that would fail: every copy is bounded by the buffers it holds.
#include "bspatch.h"

#include <stddef.h>

#define EXPORT(name) __attribute__((export_name(name)))

__attribute__((import_module("env"), import_name("cabi_realloc"))) void *cabi_realloc(void *old,
                                                                                      size_t old_size,
                                                                                      size_t align,
                                                                                      size_t new_size);

#define PAGE_BITS 20
#define PAGE (1u << PAGE_BITS)
#define PAGES 4
#define OUT_MAX (1u << 16)
#define MAX_VARINT_BYTES 8
#define MAX_SAFE 9007199254740991LL /* 2^53 - 1 */


typedef struct {
  uint8_t *bytes; /* cap bytes, allocated on first use */
  uint32_t cap;
  uint32_t len;   /* 0: empty slot */
  uint32_t page;  /* index: start = page << PAGE_BITS */
  uint32_t used;  /* last use, for least-recently-used replacement */
} page_slot;

typedef struct {
  uint8_t *ctrl;
  uint32_t ctrl_cap, ctrl_len;
  uint32_t pa, pc, ps; /* column cursors */
  int64_t count, index;
  int64_t add_left, copy_left, old_cur, old_pos, new_size, made;
  uint8_t *diff, *extra;
  uint32_t diff_cap, diff_len, diff_pos, extra_cap, extra_len, extra_pos;
  page_slot pages[PAGES];
  uint32_t clock;
  uint32_t next; /* what run() needs next: status | page << 3 */
  uint8_t *out;  /* where bspatch_make's last output is */
} bspatch_state;

/*
 * A buffer of at least n bytes: the old one if it fits, else a new one of twice the size (at most
 * `limit` when n is) so that growing entries leave few buffers behind (the old stays allocated).
 */
static uint8_t *room(uint8_t *buf, uint32_t *cap, uint32_t n, uint32_t limit) {
  if (n <= *cap && buf) return buf;
  uint32_t c = *cap * 2;
  if (c > limit) c = limit;
  if (c < n) c = n;
  if (c < 256) c = 256;
  *cap = c;
  return cabi_realloc(0, 0, 8, c);
}

static void copy_bytes(uint8_t *to, const uint8_t *from, uint32_t n) { __builtin_memcpy(to, from, n); }

/* Position after the varint at p, or 0 when it is bad (truncated, non-minimal, > 2^53, > 8 bytes). */
static uint32_t varint_end(const uint8_t *b, uint32_t len, uint32_t p) {
  for (uint32_t i = 0; i < MAX_VARINT_BYTES; i++) {
    if (p + i >= len) return 0;
    uint8_t x = b[p + i];
    if (x < 0x80) {
      if (x == 0 && i > 0) return 0;
      if (i == MAX_VARINT_BYTES - 1 && x > 0x0f) return 0;
      return p + i + 1;
    }
  }
  return 0;
}

/* The value of a varint already checked by varint_end. */
static int64_t varint_value(const uint8_t *b, uint32_t *p) {
  int64_t v = 0;
  uint32_t shift = 0;
  for (;;) {
    uint8_t x = b[(*p)++];
    v |= (int64_t)(x & 0x7f) << shift;
    if (x < 0x80) return v;
    shift += 7;
  }
}

EXPORT("bspatch-new")
uint32_t bspatch_new(void) {
  bspatch_state *s = cabi_realloc(0, 0, 8, sizeof *s);
  __builtin_memset(s, 0, sizeof *s);
  return (uint32_t)(uintptr_t)s;
}

EXPORT("bspatch-drop")
void bspatch_drop(uint32_t self) { (void)self; }

/*
 * [method]bspatch.load: (controls: list<u8>, max-entries, old-size, new-size, diff-len, extra-len:
 * f64) -> bool. The checks of EncodedControls' constructor and checkControls, in their order.
 */
EXPORT("bspatch-load")
uint32_t bspatch_load(uint32_t self, const uint8_t *list, uint32_t len, double max_entries, double old_size,
                      double new_size, double diff_len, double extra_len) {
  bspatch_state *s = (bspatch_state *)(uintptr_t)self;
  /* Nothing to run until this list passes (run() after a refused load is done at once). */
  s->count = s->index = 0;
  s->add_left = s->copy_left = 0;
  s->ctrl = room(s->ctrl, &s->ctrl_cap, len, 0xffffffffu);
  copy_bytes(s->ctrl, list, len);
  s->ctrl_len = len;
  const uint8_t *b = s->ctrl;
  uint32_t p = varint_end(b, len, 0);
  if (!p) return 0;
  uint32_t q = 0;
  int64_t count = varint_value(b, &q);
  if ((double)count > max_entries) return 0;
  if (count * 3 > (int64_t)(len - p)) return 0;
  uint32_t starts[3];
  for (int col = 0; col < 3; col++) {
    starts[col] = p;
    for (int64_t i = 0; i < count; i++)
      if (!(p = varint_end(b, len, p))) return 0;
  }
  if (p != len) return 0;
  /* checkControls: every control against OLD, NEW and the stream lengths. */
  int64_t olds = (int64_t)old_size, news = (int64_t)new_size;
  int64_t new_pos = 0, old_pos = 0, d = 0, e = 0;
  uint32_t pa = starts[0], pc = starts[1], ps = starts[2];
  for (int64_t i = 0; i < count; i++) {
    int64_t add = varint_value(b, &pa), copy = varint_value(b, &pc), z = varint_value(b, &ps);
    int64_t seek = z % 2 == 0 ? z / 2 : -(z + 1) / 2;
    if (add > news - new_pos || copy > news - new_pos - add) return 0;
    if (add > 0 && (old_pos < 0 || add > olds - old_pos)) return 0;
    int64_t next = old_pos + add + seek;
    if (next > MAX_SAFE || next < -MAX_SAFE) return 0;
    new_pos += add + copy;
    d += add;
    e += copy;
    old_pos = next;
  }
  if (new_pos != news || (double)d != diff_len || (double)e != extra_len) return 0;
  s->pa = starts[0];
  s->pc = starts[1];
  s->ps = starts[2];
  s->count = count;
  s->index = 0;
  s->add_left = s->copy_left = s->old_cur = s->old_pos = s->made = 0;
  s->new_size = news;
  s->diff_len = s->diff_pos = s->extra_len = s->extra_pos = 0;
  for (int k = 0; k < PAGES; k++) s->pages[k].len = 0; /* pages belong to one entry's OLD */
  return 1;
}

/* A fed piece of diff or extra: the kernel keeps a copy until it is used. */
static uint8_t *keep(uint8_t *buf, uint32_t *cap, uint32_t *buf_len, uint32_t *pos, const uint8_t *bytes,
                     uint32_t len) {
  buf = room(buf, cap, len, 0xffffffffu);
  copy_bytes(buf, bytes, len);
  *buf_len = len;
  *pos = 0;
  return buf;
}

/* [method]bspatch.feed-diff / feed-extra: (list<u8>). */
EXPORT("bspatch-feed-diff")
void bspatch_feed_diff(uint32_t self, const uint8_t *bytes, uint32_t len) {
  bspatch_state *s = (bspatch_state *)(uintptr_t)self;
  s->diff = keep(s->diff, &s->diff_cap, &s->diff_len, &s->diff_pos, bytes, len);
}

EXPORT("bspatch-feed-extra")
void bspatch_feed_extra(uint32_t self, const uint8_t *bytes, uint32_t len) {
  bspatch_state *s = (bspatch_state *)(uintptr_t)self;
  s->extra = keep(s->extra, &s->extra_cap, &s->extra_len, &s->extra_pos, bytes, len);
}

/* [method]bspatch.feed-old: (page: u32, list<u8>): OLD's bytes from page << 20, at most 1 MiB. */
EXPORT("bspatch-feed-old")
void bspatch_feed_old(uint32_t self, uint32_t page, const uint8_t *bytes, uint32_t len) {
  bspatch_state *s = (bspatch_state *)(uintptr_t)self;
  /*
   * An empty slot that has room, else an empty one, else the least recently used: a small entry
   * (most are) keeps reusing one buffer of its size instead of claiming four pages.
   */
  if (len > PAGE) len = PAGE;
  page_slot *slot = 0;
  for (int k = 0; k < PAGES && !slot; k++)
    if (!s->pages[k].len && s->pages[k].cap >= len) slot = &s->pages[k];
  for (int k = 0; k < PAGES && !slot; k++)
    if (!s->pages[k].len) slot = &s->pages[k];
  if (!slot) {
    slot = &s->pages[0];
    for (int k = 1; k < PAGES; k++)
      if (s->pages[k].used < slot->used) slot = &s->pages[k];
  }
  slot->bytes = room(slot->bytes, &slot->cap, len, PAGE);
  copy_bytes(slot->bytes, bytes, len);
  slot->len = len;
  slot->page = page;
  slot->used = ++s->clock;
}

/* The page slot holding OLD's byte at pos, or 0. */
static page_slot *page_of(bspatch_state *s, int64_t pos) {
  uint32_t page = (uint32_t)(pos >> PAGE_BITS);
  int64_t at = pos - ((int64_t)page << PAGE_BITS);
  for (int k = 0; k < PAGES; k++) {
    page_slot *slot = &s->pages[k];
    if (slot->len && slot->page == page && at < slot->len) {
      slot->used = ++s->clock;
      return slot;
    }
  }
  return 0;
}

/* out[i] = diff[i] + old[i] (mod 256), eight lanes at a time, carries kept inside each byte (SWAR). */
static void add_run(uint8_t *out, const uint8_t *diff, const uint8_t *old, uint32_t n) {
  uint32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    __builtin_memcpy(&a, diff + i, 8);
    __builtin_memcpy(&b, old + i, 8);
    uint64_t low = (a & 0x7f7f7f7f7f7f7f7fULL) + (b & 0x7f7f7f7f7f7f7f7fULL);
    uint64_t sum = low ^ ((a ^ b) & 0x8080808080808080ULL);
    __builtin_memcpy(out + i, &sum, 8);
  }
  for (; i < n; i++) out[i] = (uint8_t)(diff[i] + old[i]);
}

/* See bspatch.h. */
uint32_t bspatch_make(uint32_t self, uint8_t *out, uint32_t cap) {
  bspatch_state *s = (bspatch_state *)(uintptr_t)self;
  int64_t left = s->new_size - s->made;
  if (left < cap) cap = (uint32_t)left;
  uint32_t fill = 0, status = BSPATCH_MORE, page = 0;
  const uint8_t *b = s->ctrl;
  while (fill < cap || (s->add_left == 0 && s->copy_left == 0)) {
    if (s->add_left == 0 && s->copy_left == 0) {
      if (s->index == s->count) {
        status = BSPATCH_DONE;
        break;
      }
      // With no room left, stop before a control that makes bytes; when the entry has made all
      // its bytes (cap 0), the zero-length controls left are read through to the end.
      if (fill == cap && cap > 0) break;
      int64_t add = varint_value(b, &s->pa), copy = varint_value(b, &s->pc), z = varint_value(b, &s->ps);
      int64_t seek = z % 2 == 0 ? z / 2 : -(z + 1) / 2;
      s->index++;
      s->add_left = add;
      s->copy_left = copy;
      s->old_cur = s->old_pos;
      s->old_pos += add + seek;
      continue;
    }
    uint32_t k;
    if (s->add_left > 0) {
      if (s->diff_pos == s->diff_len) {
        status = BSPATCH_NEED_DIFF;
        break;
      }
      page_slot *slot = page_of(s, s->old_cur);
      if (!slot) {
        status = BSPATCH_NEED_OLD;
        page = (uint32_t)(s->old_cur >> PAGE_BITS);
        break;
      }
      uint32_t at = (uint32_t)(s->old_cur - ((int64_t)slot->page << PAGE_BITS));
      k = cap - fill;
      if (s->add_left < k) k = (uint32_t)s->add_left;
      if (s->diff_len - s->diff_pos < k) k = s->diff_len - s->diff_pos;
      if (slot->len - at < k) k = slot->len - at;
      if (!out) out = cabi_realloc(0, 0, 1, cap);
      add_run(out + fill, s->diff + s->diff_pos, slot->bytes + at, k);
      s->diff_pos += k;
      s->add_left -= k;
      s->old_cur += k;
    } else {
      if (s->extra_pos == s->extra_len) {
        status = BSPATCH_NEED_EXTRA;
        break;
      }
      k = cap - fill;
      if (s->copy_left < k) k = (uint32_t)s->copy_left;
      if (s->extra_len - s->extra_pos < k) k = s->extra_len - s->extra_pos;
      if (!out) out = cabi_realloc(0, 0, 1, cap);
      copy_bytes(out + fill, s->extra + s->extra_pos, k);
      s->extra_pos += k;
      s->copy_left -= k;
    }
    fill += k;
  }
  s->made += fill;
  s->next = status | page << 3;
  s->out = out;
  return fill;
}

/*
 * [method]bspatch.run: () -> list<u8>. Makes up to 64 KiB of output from the loaded controls,
 * stopping early when it needs more diff or extra bytes or an OLD page it does not hold; next()
 * says which.
 */
EXPORT("bspatch-run")
void bspatch_run(uint32_t self, uint32_t *retptr) {
  /*
   * Allocated at the first output byte: the engine's glue frees a returned list only when it is
   * not empty (an empty one was a leaked 64 KiB block per run that needed input first).
   */
  uint32_t fill = bspatch_make(self, 0, OUT_MAX);
  uint8_t *out = ((bspatch_state *)(uintptr_t)self)->out;
  retptr[0] = out ? (uint32_t)(uintptr_t)out : 1; /* an empty list: any aligned pointer */
  retptr[1] = fill;
}

/* [method]bspatch.next: () -> u32: after run(), its status in the low 3 bits, OLD's page above. */
EXPORT("bspatch-next")
uint32_t bspatch_next(uint32_t self) { return ((bspatch_state *)(uintptr_t)self)->next; }
