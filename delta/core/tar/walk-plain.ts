// Plain entries walked in one step, a module of its own so that the wasm build can take it from
// a C kernel (wasm/build.mjs resolves it to wasm/src/tar-walk.ts, over wasm/kernels/tar-walk.c):
// QuickJS spent ~6 us of interpreted steps on each header of OLD's layout, most layers are a run
// of such headers, and the kernel walks a whole read of them in one call.
//
// A header is plain when the parser would take it in its straight-line steps and nothing else:
// not the end marker (its first byte is not 0), its checksum and size fields in the shapes tar
// writers use (header.ts's plainStoredSum and plainSize), the unsigned sum matching, a size
// under 2^32, and a type that is neither an extension record (x g L K N) nor sparse (S). The walk
// stops before the first header that is not plain, or whose data and padding run past `limit`,
// and leaves it to the parser: its rules and its errors stay the only ones. The caller uses it
// only where no pax record is in force (the parser's `hasPax`).
import { plainSize, plainStoredSum } from './header.js';
import { headerSum } from './header-sum.js';

const BLOCK = 512;

/** x g L K N (extension records) and S (sparse): the parser's own steps. */
const isSpecial = (t: number) =>
  t === 0x78 || t === 0x67 || t === 0x4c || t === 0x4b || t === 0x4e || t === 0x53;

/** A walk's result: see walkPlain. */
export interface PlainWalk {
  /** [end, data offset, size, ...]: offsets from the start of the buffer walked. */
  readonly spans: ArrayLike<number>;
  /** The meta bytes from `metaFrom` to the last data walked, data left out, in one piece. */
  readonly meta: Uint8Array;
}

/**
 * Walks the plain entries whose headers start at `at` in `buf` (`at` on a header). `limit`: how
 * far the archive reaches, counted from the start of `buf`. `spans` holds [end, data offset,
 * size, ...]: `end` where the walk stopped (after the last entry's data and padding; `at` when the
 * first header is not plain), then each entry's data offset (from the start of `buf`) and data
 * size, 0 for the types that carry none ('1'..'6'). `meta`: the bytes from `metaFrom` (at or
 * before `at`: meta not yet handed out) up to the start of the last entry's data that has any,
 * without the data between, so that a caller gathers a read's meta in one copy, not one per entry.
 */
export function walkPlain(buf: Uint8Array, at: number, limit: number, metaFrom: number): PlainWalk {
  const spans = [at];
  let p = at;
  let metaBytes = 0;
  let from = metaFrom;
  while (p + BLOCK <= buf.length && buf[p] !== 0) {
    const stored = plainStoredSum(buf, p);
    if (stored < 0 || headerSum(buf, p) !== stored) break;
    const t = buf[p + 156] || 0x30;
    if (isSpecial(t)) break;
    let size = plainSize(buf, p);
    if (size < 0 || size >= 2 ** 32) break;
    if (t >= 0x31 && t <= 0x36) size = 0;
    const data = p + BLOCK;
    const next = data + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    // Offsets travel as u32 in the kernel's list: a walk stops short of 4 GiB into a read.
    if (next > limit || next > 0xffffffff) break;
    spans.push(data, size);
    if (size > 0) {
      metaBytes += data - from;
      from = data + size;
    }
    p = next;
  }
  spans[0] = p;
  const meta = new Uint8Array(metaBytes);
  from = metaFrom;
  let o = 0;
  for (let i = 1; i < spans.length; i += 2) {
    if (spans[i + 1] === 0) continue;
    meta.set(buf.subarray(from, spans[i]), o);
    o += spans[i] - from;
    from = spans[i] + spans[i + 1];
  }
  return { spans, meta };
}
