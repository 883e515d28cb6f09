import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  decodeImagePatchHeader,
  ImageError,
  type ImagePatchHeader,
  imagePatchHeaderLength,
  inflateBounded,
  sectionOffsets,
  sha256Digest,
} from '../../core/image/index.js';
import { hashTap } from './layers.js';

/** An image patch opened for reading: its checked header and hash-checked access to sections. */
export interface OpenedPatch {
  path: string;
  header: ImagePatchHeader;
  headerBytes: number;
  size: number;
  /** Copies section `i` to `out`, checking its sha256 on the way. */
  sectionToFile(i: number, out: string): Promise<void>;
  /** All meta files' bytes (decompressed, size-checked). */
  metaBytes(): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function readExactly(
  fh: FileHandle,
  offset: number,
  length: number,
  path: string,
): Promise<Uint8Array> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new ImageError('IMAGE_PATCH_FORMAT', `${path} is truncated`);
  return buf;
}

const MAX_META = 256 * 1024 * 1024;

export async function openImagePatch(path: string): Promise<OpenedPatch> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    throw new ImageError('IMAGE_MISSING_FILE', `${path} does not exist or cannot be read`);
  }
  try {
    const size = (await fh.stat()).size;
    const prefix = await readExactly(fh, 0, Math.min(13, size), path);
    const headerBytes = imagePatchHeaderLength(prefix);
    const header = decodeImagePatchHeader(await readExactly(fh, 0, headerBytes, path));
    const offsets = sectionOffsets(header, headerBytes);
    const end = headerBytes + header.sections.reduce((a, s) => a + s.length, 0);
    if (end !== size)
      throw new ImageError(
        'IMAGE_PATCH_FORMAT',
        `${path} is ${size} bytes but its header describes ${end}: truncated or padded`,
      );
    const check = (i: number, digest: string) => {
      if (digest !== header.sections[i].sha256)
        throw new ImageError(
          'IMAGE_PATCH_FORMAT',
          `${path}: section ${i} is corrupt (sha256 ${digest}, expected ${header.sections[i].sha256})`,
        );
    };
    return {
      path,
      header,
      headerBytes,
      size,
      async sectionToFile(i, out) {
        const s = header.sections[i];
        const { tap, result } = hashTap();
        const src = s.length
          ? createReadStream(path, { start: offsets[i], end: offsets[i] + s.length - 1 })
          : new PassThrough().end();
        await pipeline(src, tap, createWriteStream(out));
        check(i, result().digest);
      },
      async metaBytes() {
        const i = header.meta.section;
        const s = header.sections[i];
        if (s.length > MAX_META || header.meta.size > MAX_META)
          throw new ImageError('IMAGE_PATCH_FORMAT', `${path}: meta section is implausibly large`);
        const z = await readExactly(fh, offsets[i], s.length, path);
        check(i, sha256Digest(z));
        const bytes = inflateBounded(z, header.meta.size, `${path}: meta section`);
        if (bytes.length !== header.meta.size)
          throw new ImageError('IMAGE_PATCH_FORMAT', `${path}: meta section has the wrong size`);
        return bytes;
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
