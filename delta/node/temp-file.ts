import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A temporary file beside the destination (same folder, so the final rename is atomic) that
 * is renamed into place only by commit(); discard() (also after commit) removes leftovers.
 */
export class TempFile {
  readonly path: string;
  fd: number;
  private committed = false;

  constructor(readonly destination: string) {
    this.path = join(
      dirname(destination),
      `.${basename(destination)}.aloft-tmp-${randomBytes(4).toString('hex')}`,
    );
    this.fd = openSync(this.path, 'wx', 0o644);
  }

  commit(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.path, this.destination);
    this.committed = true;
  }

  discard(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (!this.committed) rmSync(this.path, { force: true });
  }
}
