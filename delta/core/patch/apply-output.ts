// Apply's output stream: every byte is counted against the declared size, hashed, and handed to
// the sink. Small pieces (a 512-byte tar header, a small unchanged file) are gathered into one
// stage first, so the hash and the sink each see one call per STAGE bytes instead of two per
// file: in the wasm build each call is interpreted QuickJS plus a copy, and a layer of 1000 small
// files made 4000 of them. Large pieces go straight through (no copy).
import { DeltaError } from '../errors.js';
import type { Sha256 } from '../hash.js';

const STAGE = 1 << 16;
/** Pieces this large are not worth a copy: the stage is flushed and they pass as they are. */
const DIRECT = 1 << 14;

export class ApplyOutput {
  /** Bytes accepted so far (staged or sent). */
  written = 0;
  private readonly stage = new Uint8Array(STAGE);
  private used = 0;
  /** Bytes handed to the sink: what progress reports. */
  private sent = 0;

  /** The sink gets views it must consume before returning (the stage is reused). */
  constructor(
    private readonly target: number,
    private readonly hash: Sha256,
    private readonly sink: (chunk: Uint8Array) => void,
    private readonly progress?: (done: number, total: number) => void,
  ) {}

  write(chunk: Uint8Array): void {
    const n = chunk.length;
    if (n > this.target - this.written)
      throw new DeltaError('DELTA_PATCH_INVALID', `output grows past the declared ${this.target} bytes`);
    this.written += n;
    if (n >= DIRECT) {
      this.flush();
      this.send(chunk);
      return;
    }
    if (this.used + n > STAGE) this.flush();
    this.stage.set(chunk, this.used);
    this.used += n;
  }

  /** Sends what is staged; apply calls it once more at the end, before the output digest. */
  flush(): void {
    if (this.used === 0) return;
    const staged = this.stage.subarray(0, this.used);
    this.used = 0;
    this.send(staged);
  }

  /** The output's SHA-256, once everything staged is sent. */
  digest(): Uint8Array {
    this.flush();
    return this.hash.digest();
  }

  private send(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.sink(chunk);
    this.sent += chunk.length;
    this.progress?.(this.sent, this.target);
  }
}
