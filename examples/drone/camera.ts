import type { Resource } from '../../device/bridge/index.js';

export interface CameraFrame {
  seq: number;
  kind: 'rgb' | 'thermal';
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * A camera that streams frames to its lease holder only. Frames are numbered: the holder's
 * stream position is the last `seq` it saw, which is what it hands over. `thermal` makes the
 * small temperature-grid camera v2 of the drone app adds.
 */
export class Camera implements Resource {
  private emit: (d: unknown) => void = () => {};
  private seq = 0;
  private readonly timer: NodeJS.Timeout;
  holder: string | undefined;

  constructor(
    readonly name: string,
    private readonly kind: 'rgb' | 'thermal' = 'rgb',
    fps = 10,
  ) {
    this.timer = setInterval(() => this.frame(), Math.round(1000 / fps));
    this.timer.unref();
  }

  attach(emit: (d: unknown) => void): void {
    this.emit = emit;
  }

  holderChanged(holder: string | undefined): void {
    this.holder = holder;
  }

  /** Cameras take a single command: seek to a stream position (the handed-over one). */
  command(data: unknown): void {
    const c = data as { seek?: unknown };
    if (typeof c?.seek === 'number' && Number.isInteger(c.seek) && c.seek >= 0) this.seq = c.seek;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private frame(): void {
    this.seq++;
    if (!this.holder) return;
    const [width, height] = this.kind === 'thermal' ? [8, 8] : [32, 24];
    const data = new Uint8Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = (this.seq + i * 7) & 0xff;
    const frame: CameraFrame = { seq: this.seq, kind: this.kind, width, height, data };
    this.emit(frame);
  }
}
