import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  blockCount,
  countBits,
  emptyBitmap,
  equalBytes,
  hasBit,
  type Manifest,
  setBit,
} from '../protocol/index.js';

/**
 * One download on disk, in `<dir>/`:
 *   manifest.cose  the signed manifest it belongs to (re-verified on restart)
 *   patch.part     the patch, each block written at index * blockSize
 *   have.bitmap    one bit per block held, bit i of byte i>>3
 *   patch          patch.part renamed once every block is in and the digest matched
 * The block is written before its bit, so a crash between the two costs one block again, never
 * a hole; a duplicate block rewrites the same bytes (QoS 1 may deliver twice).
 */
export class BlockStore {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    private readonly part: FileHandle,
    private readonly bitmapFile: FileHandle,
    private readonly bitmap: Uint8Array,
    private held: number,
  ) {}

  private finishedPath: string | undefined;

  get total(): number {
    return blockCount(this.manifest.patch.size, this.manifest.patch.blockSize);
  }

  /** Opens the download in `dir`, keeping the blocks already there when the manifest is the same. */
  static async open(dir: string, manifest: Manifest, envelope: Uint8Array): Promise<BlockStore> {
    await mkdir(dir, { recursive: true });
    const n = blockCount(manifest.patch.size, manifest.patch.blockSize);
    const prior = await readFile(join(dir, 'manifest.cose')).catch(() => undefined);
    let bitmap = emptyBitmap(n);
    let finished = false;
    if (prior && equalBytes(prior, envelope)) {
      finished = await stat(join(dir, 'patch')).then(
        () => true,
        () => false,
      );
      const saved = await readFile(join(dir, 'have.bitmap')).catch(() => undefined);
      if (saved && saved.length === bitmap.length) bitmap = new Uint8Array(saved);
    } else {
      await rm(join(dir, 'patch.part'), { force: true });
      await rm(join(dir, 'patch'), { force: true });
      await writeFile(join(dir, 'have.bitmap'), bitmap);
      await writeFile(join(dir, 'manifest.cose.tmp'), envelope);
      await rename(join(dir, 'manifest.cose.tmp'), join(dir, 'manifest.cose'));
    }
    // A restart after the rename: the patch is whole, only the hook has to run again.
    const partName = finished ? 'patch' : 'patch.part';
    if (!finished) await (await open(join(dir, partName), 'a')).close();
    const part = await open(join(dir, partName), 'r+');
    const bitmapFile = await open(join(dir, 'have.bitmap'), 'r+');
    const store = new BlockStore(dir, manifest, part, bitmapFile, bitmap, countBits(bitmap, n));
    store.finishedPath = finished ? join(dir, 'patch') : undefined;
    return store;
  }

  get have(): number {
    return this.held;
  }

  get complete(): boolean {
    return this.held === this.total;
  }

  /** A copy of the have-bitmap. */
  bitmapCopy(): Uint8Array {
    return this.bitmap.slice();
  }

  has(index: number): boolean {
    return hasBit(this.bitmap, index);
  }

  /** Writes a checked block; returns false for a duplicate (nothing written). */
  async write(index: number, data: Uint8Array): Promise<boolean> {
    if (this.has(index)) return false;
    await this.part.write(data, 0, data.length, index * this.manifest.patch.blockSize);
    setBit(this.bitmap, index);
    const byte = index >> 3;
    await this.bitmapFile.write(this.bitmap, byte, 1, byte);
    this.held++;
    return true;
  }

  /** Hashes the finished patch; on a match renames it to `patch` and returns its path. */
  async finish(): Promise<string | undefined> {
    const name = this.finishedPath ? 'patch' : 'patch.part';
    await this.part.sync();
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(join(this.dir, name), { end: this.manifest.patch.size - 1 }))
      hash.update(chunk as Buffer);
    if (!equalBytes(hash.digest(), this.manifest.patch.digest)) return undefined;
    await this.part.truncate(this.manifest.patch.size);
    await this.close();
    if (!this.finishedPath) await rename(join(this.dir, 'patch.part'), join(this.dir, 'patch'));
    this.finishedPath = join(this.dir, 'patch');
    return this.finishedPath;
  }

  /** Forgets everything: after a digest failure nothing of this patch may be used. */
  async discard(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.part.close(), this.bitmapFile.close()]);
  }
}
