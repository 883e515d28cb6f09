// What the qjs-kernels bundle gets for delta/core/tar's `./walk-plain.js` (wasm/build.mjs): the
// same walk from the C kernel (wasm/kernels/tar-walk.c), one call per read of OLD's headers
// instead of the parser's interpreted steps per header.
import kernels from 'aloft:engine/kernels@0.1.0';

import type { PlainWalk } from '../../delta/core/tar/walk-plain.js';

/** See delta/core/tar/walk-plain.ts. */
export const walkPlain = (buf: Uint8Array, at: number, limit: number, metaFrom: number): PlainWalk =>
  kernels.tarWalk(buf, at, Math.min(limit, 0xffffffff), metaFrom);
