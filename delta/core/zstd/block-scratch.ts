/**
 * Buffers a zstd block needs only while it is decoded: its compressed bytes and its literals.
 * Apply reads its patch streams (ctrl, diff, extra, ...) one call at a time and never decodes
 * two blocks at once, so its readers share one of these: 128 KiB of each per stream otherwise,
 * 0.5 MB of the device's budget for buffers that are dead between blocks.
 */
export class BlockScratch {
  private wireBuf = new Uint8Array(0);
  private literalsBuf = new Uint8Array(0);

  /** At least n bytes for a block's compressed bytes (contents are not kept between calls). */
  wire(n: number): Uint8Array {
    if (this.wireBuf.length < n) this.wireBuf = new Uint8Array(n);
    return this.wireBuf;
  }

  /** At least n bytes for a block's literals (contents are not kept between calls). */
  literals(n: number): Uint8Array {
    if (this.literalsBuf.length < n) this.literalsBuf = new Uint8Array(n);
    return this.literalsBuf;
  }
}
