import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw } from 'node:zlib';

export interface ZlibRecipe {
  level: number;
  memLevel: number;
  strategy: number;
  header: Uint8Array;
}

/** Length of a gzip member header (RFC 1952 §2.3), or undefined if `b` does not start with one. */
export function gzipHeaderLength(b: Uint8Array): number | undefined {
  if (b.length < 10 || b[0] !== 0x1f || b[1] !== 0x8b || b[2] !== 8) return undefined;
  const flg = b[3];
  let off = 10;
  if (flg & 4) {
    if (off + 2 > b.length) return undefined;
    off += 2 + (b[off] | (b[off + 1] << 8));
  }
  for (const bit of [8, 16]) {
    if (flg & bit) {
      while (off < b.length && b[off] !== 0) off++;
      off++;
    }
  }
  if (flg & 2) off += 2;
  return off <= b.length ? off : undefined;
}

/** Streams `header + deflateRaw(tar) + crc32 + isize`: a gzip member made with known settings. */
export function gzipWithRecipe(tarFile: string, r: ZlibRecipe): Readable {
  let crc = 0;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const deflate = createDeflateRaw({ level: r.level, memLevel: r.memLevel, strategy: r.strategy });
  async function* gen(): AsyncGenerator<Uint8Array> {
    yield r.header;
    const src = createReadStream(tarFile).pipe(tap).pipe(deflate);
    for await (const c of src) yield c as Buffer;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size % 2 ** 32, 4);
    yield trailer;
  }
  return Readable.from(gen());
}

async function sameAs(stream: Readable, fh: FileHandle, total: number): Promise<boolean> {
  let pos = 0;
  const buf = Buffer.alloc(1 << 16);
  for await (const c of stream) {
    const chunk = c as Buffer;
    for (let i = 0; i < chunk.length; ) {
      const n = Math.min(buf.length, chunk.length - i);
      if (pos + n > total) return false;
      const { bytesRead } = await fh.read(buf, 0, n, pos);
      if (bytesRead !== n || !buf.subarray(0, n).equals(chunk.subarray(i, i + n))) {
        stream.destroy();
        return false;
      }
      pos += n;
      i += n;
    }
  }
  return pos === total;
}

/**
 * Finds zlib settings that rebuild `blobFile` (a gzip of `tarFile`) byte for byte. Most
 * layers compressed by Docker/containerd come from Go's compress/gzip, which zlib cannot
 * reproduce; those return undefined and the image gets the layer uncompressed instead. Each
 * try stops at the first differing byte, so failures are cheap.
 */
export async function findZlibRecipe(blobFile: string, tarFile: string): Promise<ZlibRecipe | undefined> {
  const fh = await open(blobFile, 'r');
  try {
    const total = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(total, 4096));
    await fh.read(head, 0, head.length, 0);
    const hlen = gzipHeaderLength(head);
    if (hlen === undefined) return undefined;
    const xfl = head[8];
    const levels = xfl === 2 ? [9] : xfl === 4 ? [1, 2, 3] : [6, 5, 4, 7, 8];
    for (const level of levels) {
      for (const strategy of [constants.Z_DEFAULT_STRATEGY]) {
        const r: ZlibRecipe = {
          level,
          memLevel: 8,
          strategy,
          header: new Uint8Array(head.subarray(0, hlen)),
        };
        if (await sameAs(gzipWithRecipe(tarFile, r), fh, total)) return r;
      }
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Writes a gzip member with the recipe to `out` and returns its sha256 digest. */
export async function writeGzipWithRecipe(
  tarFile: string,
  r: ZlibRecipe,
  out: string,
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(gzipWithRecipe(tarFile, r), tap, createWriteStream(out));
  return { digest: `sha256:${hash.digest('hex')}`, size };
}
