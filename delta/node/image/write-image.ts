import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BLOCK, encodeTarHeader, type ImageFileInfo, paddedSize } from '../../core/image/index.js';

/** One file of the image being written: its bytes in memory (meta) or in a file (layers). */
export interface OutputFile {
  info: ImageFileInfo;
  bytes?: Uint8Array;
  file?: string;
  /** Bytes streamed from elsewhere (e.g. straight out of another image tar). */
  stream?: () => Readable;
}

function tempPath(out: string): string {
  return join(dirname(out), `.aloft-tmp-${process.pid}-${Date.now().toString(36)}-${out.split('/').pop()}`);
}

async function* tarChunks(files: OutputFile[]): AsyncGenerator<Uint8Array> {
  for (const f of files) {
    const { info } = f;
    const size = info.type === 'file' ? (f.bytes?.length ?? info.size) : 0;
    yield encodeTarHeader({
      path: info.path,
      type: info.type,
      size,
      mode: info.mode,
      mtime: info.mtime,
      linkname: info.linkname,
    });
    if (info.type !== 'file') continue;
    if (f.bytes) yield f.bytes;
    else if (f.file || f.stream) {
      let n = 0;
      for await (const chunk of f.stream ? f.stream() : createReadStream(f.file as string)) {
        n += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (n !== size)
        throw new Error(`${f.file ?? f.info.path} changed size while writing the image (${n} != ${size})`);
    }
    const pad = paddedSize(size) - size;
    if (pad) yield new Uint8Array(pad);
  }
  yield new Uint8Array(2 * BLOCK);
}

/**
 * Writes an image as a tar (docker-save or OCI) or an OCI folder, into a temporary name that
 * is renamed into place only when complete: a failure never leaves a partial image at `out`.
 */
export async function writeImage(out: string, container: 'tar' | 'dir', files: OutputFile[]): Promise<void> {
  const tmp = tempPath(out);
  try {
    if (container === 'tar') {
      await pipeline(tarChunks(files), createWriteStream(tmp));
    } else {
      await mkdir(tmp, { recursive: true });
      for (const f of files) {
        const p = join(tmp, f.info.path);
        if (f.info.type === 'dir') {
          await mkdir(p, { recursive: true });
          continue;
        }
        await mkdir(dirname(p), { recursive: true });
        if (f.info.type === 'symlink') await symlink(f.info.linkname ?? '', p);
        else if (f.bytes) await writeFile(p, f.bytes);
        else if (f.file) await copyFile(f.file, p);
        else if (f.stream) await pipeline(f.stream(), createWriteStream(p));
        if (f.info.type === 'file') {
          await chmod(p, f.info.mode || 0o644);
          await utimes(p, f.info.mtime, f.info.mtime);
        }
      }
      await rm(out, { recursive: true, force: true });
    }
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
