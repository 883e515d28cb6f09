// bspatch by the book (test-only): the bytes a control list, diff and extra make from OLD, with
// none of the streaming, paging or checks of the real appliers, for tests to hold them to.
import type { BsdiffControl } from '../types.js';

export function referenceBspatch(
  old: Uint8Array,
  list: readonly BsdiffControl[],
  diff: Uint8Array,
  extra: Uint8Array,
): Uint8Array {
  const out: number[] = [];
  let o = 0;
  let d = 0;
  let e = 0;
  for (const c of list) {
    for (let i = 0; i < c.add; i++) out.push((diff[d++] + old[o + i]) & 255);
    for (let i = 0; i < c.copy; i++) out.push(extra[e++]);
    o += c.add + c.seek;
  }
  return Uint8Array.from(out);
}
