// Walks an encoded bsdiff control list (the kernel's format v1, delta/core/bsdiff/controls.ts:
// varint count, then the add, copy and zigzag(seek) columns) with one cursor per column, so
// apply never turns it into objects. A 26 MB binary's list is ~130k controls: as objects that
// was ~6 MB of heap which outlived the young generation and made V8 grow both spaces.

// errors.js directly: bsdiff/index.js loads the diffing kernel, which apply never needs.
import { BsdiffError } from '../bsdiff/errors.js';
import type { BsdiffControl } from '../bsdiff/index.js';

const MAX_VARINT_BYTES = 8; // 56 bits cover 2^53 - 1, the kernel's limit

const corrupt = (message: string) => new BsdiffError('DELTA_CORRUPT', message);

/** The controls of one entry, read one at a time: next() loads add/copy/seek. */
export interface ControlSource {
  readonly count: number;
  add: number;
  copy: number;
  seek: number;
  /** Back to before the first control. */
  rewind(): void;
  /** Loads the next control; false after the last. */
  next(): boolean;
}

/** Over an array of controls (the kernel's decoded form, and tests). */
export function arrayControls(list: readonly BsdiffControl[]): ControlSource {
  let i = -1;
  const src: ControlSource = {
    count: list.length,
    add: 0,
    copy: 0,
    seek: 0,
    rewind: () => {
      i = -1;
    },
    next: () => {
      if (++i >= list.length) return false;
      src.add = list[i].add;
      src.copy = list[i].copy;
      src.seek = list[i].seek;
      return true;
    },
  };
  return src;
}

/**
 * Over the encoded bytes. The constructor checks the whole list the way decodeControls does
 * (truncation, trailing bytes, non-minimal or overlong varints, count > maxEntries) before any
 * control is used, so a bad list fails before bspatch writes a byte.
 */
export class EncodedControls implements ControlSource {
  readonly count: number;
  add = 0;
  copy = 0;
  seek = 0;
  private readonly starts: [number, number, number];
  private pa = 0;
  private pc = 0;
  private ps = 0;
  private index = 0;

  constructor(
    private readonly bytes: Uint8Array,
    maxEntries: number,
  ) {
    let p = 0;
    const skip = (): void => {
      p = this.varint(p);
    };
    this.count = this.value(0);
    skip();
    if (this.count > maxEntries)
      throw new BsdiffError(
        'DELTA_LIMIT',
        `the control list declares ${this.count} entries, more than the limit of ${maxEntries}`,
      );
    if (this.count * 3 > bytes.length - p)
      throw corrupt(`the control list declares ${this.count} entries but holds only ${bytes.length} bytes`);
    const a = p;
    for (let i = 0; i < this.count; i++) skip();
    const c = p;
    for (let i = 0; i < this.count; i++) skip();
    const s = p;
    for (let i = 0; i < this.count; i++) skip();
    if (p !== bytes.length) throw corrupt(`the control list has ${bytes.length - p} trailing bytes`);
    this.starts = [a, c, s];
    this.rewind();
  }

  rewind(): void {
    this.pa = this.starts[0];
    this.pc = this.starts[1];
    this.ps = this.starts[2];
    this.index = 0;
  }

  next(): boolean {
    if (this.index >= this.count) return false;
    this.index++;
    this.add = this.value(this.pa);
    this.pa = this.varint(this.pa);
    this.copy = this.value(this.pc);
    this.pc = this.varint(this.pc);
    const z = this.value(this.ps);
    this.ps = this.varint(this.ps);
    this.seek = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    return true;
  }

  /** Position after the varint at p, checking it (minimal, at most 8 bytes, ≤ 2^53 - 1). */
  private varint(p: number): number {
    const b = this.bytes;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (p + i >= b.length) throw corrupt('the control list is truncated');
      const x = b[p + i];
      if (x < 0x80) {
        if (x === 0 && i > 0) throw corrupt('the control list holds a non-minimal varint');
        if (i === MAX_VARINT_BYTES - 1 && x > 0x0f)
          throw corrupt('the control list holds a value above 2^53');
        return p + i + 1;
      }
    }
    throw corrupt('the control list holds a varint longer than 8 bytes');
  }

  /** The varint at p (already checked by the constructor, except the count). */
  private value(p: number): number {
    const b = this.bytes;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES && p + i < b.length; i++) {
      const x = b[p + i];
      v += (x & 0x7f) * scale;
      if (x < 0x80) return v;
      scale *= 0x80;
    }
    return v;
  }
}
