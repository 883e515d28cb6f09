// Apply's output as a compiled kernel (the wasm build: wasm/kernels/apply-output.c). In QuickJS an
// unchanged file cost microseconds of interpreted steps (its header, its bytes: two views, two
// copies into the stage) and every output byte crossed four copies on its way to the hash and to
// the host; lodash's 1037 unchanged files were a third of its apply. With the kernel, apply only
// lists a run of meta and unchanged files as numbers (KernelOutput.copy) and the kernel reads
// OLD, hashes and writes by itself. The Node path keeps ApplyOutput (apply-output.ts).
import { DeltaError } from '../errors.js';
import type { BspatchKernel } from './bspatch-port.js';

/** What the kernel's copy() answers (wasm/kernels/apply-output.c has the same numbers). */
export const COPY_OK = 0;
export const COPY_META_SHORT = 1;
export const COPY_OLD_SHORT = 2;

export interface OutputKernel {
  /** Starts an output: the new tar's meta (copy() hands it out in order) and OLD's size. */
  start(meta: Uint8Array, oldSize: number): void;
  /** Output bytes, after everything given before: hashed and written. */
  write(bytes: Uint8Array): void;
  /** Quads (meta bytes, OLD offset / 2^32, OLD offset % 2^32, size); COPY_*. */
  copy(plan: Uint32Array): number;
  /** A changed file starts: its bytes are also hashed on their own, until fileDigest(). */
  beginFile(): void;
  /** The SHA-256 of the bytes since beginFile(). */
  fileDigest(): Uint8Array;
  /**
   * Runs a loaded bspatch kernel straight into the output until it needs input or is done: the
   * bytes it made (the entry's next() says why it stopped). The bytes never return to JS.
   */
  patch(entry: BspatchKernel): number;
  /** Sends what is gathered; the SHA-256 of every byte since start(). */
  finish(): Uint8Array;
}

/** Quads a plan holds before it goes to the kernel (a call per run of unchanged files, or per 1024). */
const PLAN = 1024;
const TWO_32 = 2 ** 32;
const MAX_SIZE = 2 ** 31;

/** apply's output stream over an OutputKernel: the same size check as ApplyOutput. */
export class KernelOutput {
  /** Bytes accepted so far (planned or sent). */
  written = 0;
  private readonly plan = new Uint32Array(4 * PLAN);
  private queued = 0;

  constructor(
    private readonly kernel: OutputKernel,
    private readonly target: number,
    private readonly progress?: (done: number, total: number) => void,
  ) {}

  /** Before any output: the new meta, and OLD's size (the kernel reads OLD itself). */
  begin(meta: Uint8Array, oldSize: number): void {
    this.queued = 0;
    this.kernel.start(meta, oldSize);
  }

  private grow(n: number): void {
    if (n > this.target - this.written)
      throw new DeltaError('DELTA_PATCH_INVALID', `output grows past the declared ${this.target} bytes`);
    this.written += n;
  }

  write(chunk: Uint8Array): void {
    this.grow(chunk.length);
    this.send();
    this.kernel.write(chunk);
    this.progress?.(this.written, this.target);
  }

  /**
   * The next `meta` bytes of the new meta, then OLD's bytes [offset, offset + size). Called once
   * per unchanged file: kept to few calls (each is interpreted in QuickJS).
   */
  copy(meta: number, offset: number, size: number): void {
    this.grow(meta + size);
    // A size field is 32 bits: a file of 2 GiB or more takes more than one quad.
    while (size > MAX_SIZE) {
      this.queue(meta, offset, MAX_SIZE);
      meta = 0;
      offset += MAX_SIZE;
      size -= MAX_SIZE;
    }
    this.queue(meta, offset, size);
  }

  private queue(meta: number, offset: number, size: number): void {
    const q = this.queued << 2;
    const p = this.plan;
    p[q] = meta;
    // A Uint32Array keeps an integer modulo 2^32: the high word, then the low word.
    p[q + 1] = offset / TWO_32;
    p[q + 2] = offset;
    p[q + 3] = size;
    if (++this.queued === PLAN) this.send();
  }

  /** A changed file's bytes start: the kernel hashes them on their own too. */
  beginFile(): void {
    this.send();
    this.kernel.beginFile();
  }

  fileDigest(): Uint8Array {
    return this.kernel.fileDigest();
  }

  /** The bspatch entry's next output, made in the kernel (BspatchKernel.run() and the sink in one). */
  patch(entry: BspatchKernel): void {
    this.send();
    this.grow(this.kernel.patch(entry));
    this.progress?.(this.written, this.target);
  }

  /** The SHA-256 of the whole output, once everything is sent. */
  digest(): Uint8Array {
    this.send();
    return this.kernel.finish();
  }

  private send(): void {
    if (this.queued === 0) return;
    const n = this.queued;
    this.queued = 0;
    const status = this.kernel.copy(this.plan.subarray(0, 4 * n));
    if (status === COPY_META_SHORT)
      throw new DeltaError('DELTA_PATCH_INVALID', 'entries use more meta bytes than the patch holds');
    if (status === COPY_OLD_SHORT)
      throw new DeltaError('DELTA_SOURCE_MISMATCH', 'OLD ends before a file the patch copies from it');
    this.progress?.(this.written, this.target);
  }
}
