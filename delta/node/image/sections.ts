import { createReadStream, createWriteStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Compressor, CompressStream } from 'zstd-napi';
import type { ImagePatchHeader } from '../../core/image/index.js';
import { hashTap, sha256File } from './layers.js';

type Section = ImagePatchHeader['sections'][number];

/** zstd -19 of small in-memory bytes (header, meta). */
export function zstd19(bytes: Uint8Array): Uint8Array {
  const c = new Compressor();
  c.setParameters({ compressionLevel: 19 });
  return c.compress(bytes);
}

/** Patch sections spooled to files while a patch is built, concatenated at the end. */
export class SectionWriter {
  readonly sections: Section[] = [];
  readonly files: string[] = [];
  constructor(private readonly dir: string) {}

  /** Meta files: small, compressed in one go at the highest level. */
  async addBytes(bytes: Uint8Array): Promise<number> {
    const z = zstd19(bytes);
    const file = join(this.dir, `section-${this.sections.length}`);
    await writeFile(file, z);
    return this.push(file, 'zstd');
  }

  /**
   * A whole layer, zstd -19. The window stays at level 19's default (8 MiB) so the pure-JS
   * decoder on a device never needs more memory than that.
   */
  async addCompressedFile(path: string): Promise<number> {
    const file = join(this.dir, `section-${this.sections.length}`);
    await pipeline(
      createReadStream(path),
      new CompressStream({ compressionLevel: 19 }),
      createWriteStream(file),
    );
    return this.push(file, 'zstd');
  }

  /** A file that already is a section payload (a layer patch). */
  addFile(file: string): Promise<number> {
    return this.push(file, 'layer-delta');
  }

  async push(file: string, codec: Section['codec']): Promise<number> {
    const { digest, size } = await sha256File(file);
    this.sections.push({ length: size, sha256: digest, codec });
    this.files.push(file);
    return this.sections.length - 1;
  }

  size(i: number): number {
    return this.sections[i].length;
  }
}

/** Writes header + sections to `out` (the caller renames it into place). */
export async function writePatchFile(out: string, header: Uint8Array, files: string[]): Promise<number> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield header;
    for (const f of files) for await (const c of createReadStream(f)) yield c as Buffer;
  }
  const { tap } = hashTap();
  await pipeline(chunks(), tap, createWriteStream(out));
  return (await stat(out)).size;
}
