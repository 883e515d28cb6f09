// Hand-built deflate streams for the inflate tests (delta/core's and the wasm kernel's).

/** LSB-first bits, as RFC 1951 packs them; Huffman codes go in MSB first. */
class Bits {
  private readonly bytes: number[] = [];
  private acc = 0;
  private n = 0;

  put(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.bit((value >>> i) & 1);
    return this;
  }

  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.bit((code >>> i) & 1);
    return this;
  }

  align(): this {
    while (this.n !== 0) this.bit(0);
    return this;
  }

  raw(...bytes: number[]): this {
    this.align();
    this.bytes.push(...bytes);
    return this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.align().bytes);
  }

  private bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
  }
}

// Code-length alphabet: symbols 0-6 and 18, all 3 bits long (canonical: 0-6 -> 0-6, 18 -> 7).
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const CL_USED = new Set([0, 1, 2, 3, 4, 5, 6, 18]);
const clCode = (symbol: number) => (symbol === 18 ? 7 : symbol);

/**
 * A non-final dynamic block holding `count` literal 'a's, whose end-of-block code (2 bits) is four
 * bits shorter than the longest literal code (6 bits), then a final stored block of `stored`.
 * Decoding the end code peeks up to 6 bits, so for some `count` a whole byte of the stored
 * block's length has already been read into the bit buffer: the case a stored block must undo.
 */
export function dynamicThenStored(count: number, stored: readonly number[]): Uint8Array {
  const w = new Bits().put(0, 1).put(2, 2); // not final, dynamic
  w.put(0, 5)
    .put(1, 5)
    .put(CL_ORDER.indexOf(1) + 1 - 4, 4); // HLIT 257, HDIST 2, HCLEN up to symbol 1
  for (const s of CL_ORDER.slice(0, CL_ORDER.indexOf(1) + 1)) w.put(CL_USED.has(s) ? 3 : 0, 3);
  const len = (n: number) => w.code(clCode(n), 3);
  const zeros = (n: number) => w.code(clCode(18), 3).put(n - 11, 7);
  // Literals 'a'..'f' (97-102): 1, 3, 4, 5, 6, 6 bits; end of block (256): 2 bits; two distances of 1.
  zeros(97);
  for (const n of [1, 3, 4, 5, 6, 6]) len(n);
  zeros(138);
  zeros(15);
  len(2);
  len(1);
  len(1);
  // Canonical codes: 'a' 0, end 10 (and 'b'..'f' 110, 1110, ...).
  for (let i = 0; i < count; i++) w.code(0b0, 1);
  w.code(0b10, 2);
  w.put(1, 1).put(0, 2); // final, stored
  const n = stored.length;
  return w.raw(n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff, ...stored).done();
}
