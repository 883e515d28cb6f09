// delta/core/deflate's codec functions on the C kernels (wasm/kernels/deflate*.c, inflate.c),
// with the signatures, errors and messages of the TypeScript they replace in the engine bundle
// (wasm/build.mjs resolves deflate.ts and inflate.ts to deflate-module.ts and inflate-module.ts).
// The C is a port of that TypeScript and gives the same bytes (wasm/deflate-kernel.test.ts);
// interpreted by QuickJS the TypeScript runs at ~1 MB/s, the kernels at tens of MB/s.
import { DeltaError } from '../../delta/core/errors.js';

/** The `gzip-codec` resource of the `kernels` WIT interface, or a test's stand-in. */
export interface GzipCodec {
  /** Raw deflate as `gzip -<level> -n` makes it (level 4-9). */
  deflate(input: Uint8Array, level: number): Uint8Array;
  /** status 0, or an InflateStatus; `data` is the output so far either way. */
  inflate(
    input: Uint8Array,
    offset: number,
    maxSize: number,
    exact: boolean,
  ): { status: number; end: number; data: Uint8Array };
  crc32(data: Uint8Array, crc: number): number;
}

export const GZIP_LEVELS: readonly number[] = [4, 5, 6, 7, 8, 9];

/** inflate.h's error codes 1-12, as inflate.ts words them. */
const MESSAGES = [
  '',
  'cut short',
  'stored block length check failed',
  'over-subscribed Huffman code',
  'invalid Huffman code',
  'too many length or distance codes',
  'repeat with no previous length',
  'code lengths overflow',
  'no end-of-block code',
  'reserved block type',
  'bad length code',
  'bad distance code',
  'distance before the start of the output',
];
const OVER_CEILING = 13;
const NOT_EXACT = 14;

const fail = (message: string) => new DeltaError('DELTA_DECOMPRESS', `deflate data: ${message}`);

/** The kernel-backed functions, on a codec made on first use (~0.45 MB of tables and window). */
export function kernelCodec(make: () => GzipCodec) {
  let codec: GzipCodec | undefined;
  const get = () => {
    codec ??= make();
    return codec;
  };

  function gzipDeflate(input: Uint8Array, level: number, sink: (chunk: Uint8Array) => void): void {
    if (!GZIP_LEVELS.includes(level))
      throw new RangeError(`gzip level ${level} is not reproducible here (4-9 are)`);
    const out = get().deflate(input, level);
    // A deflate stream is never empty: an empty list is the kernel out of memory.
    if (out.length === 0) throw new RangeError(`gzip kernel: no memory to deflate ${input.length} bytes`);
    sink(out);
  }

  function inflateRaw(
    input: Uint8Array,
    offset: number,
    maxSize: number,
    exactSize?: number,
  ): { data: Uint8Array; end: number } {
    const ceiling = exactSize ?? maxSize;
    if (exactSize !== undefined && exactSize > 0xffffffff)
      throw new RangeError(`an exact size of ${exactSize} bytes cannot be held in wasm memory`);
    const r = get().inflate(input, offset, Math.min(ceiling, 0xffffffff), exactSize !== undefined);
    if (r.status === 0) return { data: r.data, end: r.end };
    if (r.status === OVER_CEILING) throw fail(`decompresses to more than ${ceiling} bytes`);
    if (r.status === NOT_EXACT)
      throw fail(`decompresses to ${r.data.length} bytes, not the declared ${exactSize}`);
    throw fail(MESSAGES[r.status] ?? `out of memory (kernel status ${r.status})`);
  }

  const crc32 = (data: Uint8Array, crc = 0): number => get().crc32(data, crc) >>> 0;

  return { gzipDeflate, inflateRaw, crc32 };
}
