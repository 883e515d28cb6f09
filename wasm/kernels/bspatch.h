// The bspatch kernel's step, for the apply-output kernel (apply-output.c), which runs a loaded
// entry straight into the output instead of through the engine.
#ifndef ALOFT_KERNELS_BSPATCH_H
#define ALOFT_KERNELS_BSPATCH_H
#include <stdint.h>

/* run() statuses (delta/core/patch/bspatch-port.ts has the same numbers). */
enum { BSPATCH_DONE = 0, BSPATCH_MORE = 1, BSPATCH_NEED_DIFF = 2, BSPATCH_NEED_EXTRA = 3, BSPATCH_NEED_OLD = 4 };

/*
 * Makes up to `cap` bytes of the loaded entry's output at `out` (when 0, in a block of cap bytes
 * from cabi_realloc taken at the first byte made), stopping early when the entry needs more diff
 * or extra bytes or an OLD page it does not hold; returns the bytes made. bspatch_next then says
 * why it stopped: BSPATCH_MORE when `cap` ran out.
 */
uint32_t bspatch_make(uint32_t self, uint8_t *out, uint32_t cap);
uint32_t bspatch_next(uint32_t self);

#endif
