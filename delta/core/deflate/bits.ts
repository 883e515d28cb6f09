// LSB-first bit packing for deflate output (RFC 1951 §3.1.1), into a growing byte buffer.

export class BitWriter {
  private buf: Uint8Array;
  length = 0;
  private acc = 0;
  private count = 0;

  constructor(capacity = 1 << 12) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** `len` ≤ 16 low bits of `value`, least significant first. */
  bits(value: number, len: number): void {
    this.acc |= (value & ((1 << len) - 1)) << this.count;
    this.count += len;
    if (this.count >= 16) {
      this.room(2);
      this.buf[this.length++] = this.acc & 0xff;
      this.buf[this.length++] = (this.acc >>> 8) & 0xff;
      this.acc >>>= 16;
      this.count -= 16;
    }
  }

  /** Pads to a byte boundary with zero bits (bi_windup in the classic sources). */
  align(): void {
    this.room(2);
    while (this.count > 0) {
      this.buf[this.length++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.count = this.count > 8 ? this.count - 8 : 0;
    }
    this.acc = 0;
  }

  /** Whole bytes; the writer must be aligned. */
  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** Takes the finished bytes so far (aligned part only) and empties the buffer. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
