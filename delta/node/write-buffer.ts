import { writeSync } from 'node:fs';

/**
 * Gathers small writes (tar headers are 512 bytes) into larger ones. 64 KiB: apply's chunks are
 * at most that, and a bigger buffer only adds to peak RSS (writes are synchronous, so there is
 * never more than one buffer in flight: the backpressure is the write itself).
 */
export class WriteBuffer {
  private buf = new Uint8Array(1 << 16);
  private fill = 0;
  constructor(private readonly fd: number) {}

  write(chunk: Uint8Array): void {
    if (chunk.length >= this.buf.length) {
      this.flush();
      writeAll(this.fd, chunk);
      return;
    }
    if (this.fill + chunk.length > this.buf.length) this.flush();
    this.buf.set(chunk, this.fill);
    this.fill += chunk.length;
  }

  flush(): void {
    if (this.fill) writeAll(this.fd, this.buf.subarray(0, this.fill));
    this.fill = 0;
  }
}

const writeAll = (fd: number, bytes: Uint8Array) => {
  let o = 0;
  while (o < bytes.length) o += writeSync(fd, bytes, o, bytes.length - o);
};
