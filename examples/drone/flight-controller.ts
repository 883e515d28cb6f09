import { performance } from 'node:perf_hooks';
import type { Resource } from '../../device/bridge/index.js';

/** A setpoint as the drone app sends it; `seq` lets us see that a hand-over kept continuity. */
export interface SetpointCommand {
  seq: number;
  sp: { x: number; y: number; z: number; yaw: number };
}

export interface GapRecord {
  /** performance.now() when the command arrived. */
  at: number;
  gapMs: number;
  holder: string;
  prevHolder: string;
}

export interface GapStats {
  commands: number;
  maxGapMs: number;
  /** Gaps above two periods of the 100 Hz loop: the loop ran a tick on a stale setpoint. */
  missedTicks: number;
  /** Gaps over which the lease holder changed (the switches themselves). */
  switches: GapRecord[];
  /** Times the setpoint sequence did not continue by one across a switch (state lost). */
  seqBreaks: number;
}

const PERIOD_MS = 10;

/**
 * Flight-controller simulator: the `flight` resource. A 100 Hz loop integrates the vehicle
 * toward the latest setpoint and sends telemetry (10 Hz) to the lease holder. Every accepted
 * command's arrival time is recorded, so the longest gap in control — across a hand-over or a
 * restart — is measured where it matters: at the controller.
 */
export class FlightController implements Resource {
  readonly name = 'flight';
  private emit: (d: unknown) => void = () => {};
  private timer: NodeJS.Timeout | undefined;
  private last: { at: number; holder: string; seq: number } | undefined;
  private readonly gaps: GapRecord[] = [];
  private seqBreaks: Array<{ at: number }> = [];
  private commands: Array<number> = [];
  private position = { x: 0, y: 0, z: 0, yaw: 0 };
  private setpoint = { x: 0, y: 0, z: 0, yaw: 0 };
  private ticks = 0;
  holder: string | undefined;

  constructor() {
    this.timer = setInterval(() => this.tick(), PERIOD_MS);
    this.timer.unref();
  }

  attach(emit: (d: unknown) => void): void {
    this.emit = emit;
  }

  holderChanged(holder: string | undefined): void {
    this.holder = holder;
  }

  command(data: unknown, holder: string): void {
    const c = data as Partial<SetpointCommand>;
    if (!c || typeof c.seq !== 'number' || !c.sp || typeof c.sp.x !== 'number') return;
    const now = performance.now();
    if (this.last) {
      const gap: GapRecord = { at: now, gapMs: now - this.last.at, holder, prevHolder: this.last.holder };
      this.gaps.push(gap);
      if (gap.holder !== gap.prevHolder && c.seq !== this.last.seq + 1) this.seqBreaks.push({ at: now });
    }
    this.commands.push(now);
    this.last = { at: now, holder, seq: c.seq };
    this.setpoint = { x: c.sp.x, y: c.sp.y, z: c.sp.z, yaw: c.sp.yaw };
  }

  /** Gap statistics over commands that arrived in [from, to] (performance.now() times). */
  stats(from = 0, to = Number.POSITIVE_INFINITY): GapStats {
    const inWindow = this.gaps.filter((g) => g.at >= from && g.at <= to);
    return {
      commands: this.commands.filter((t) => t >= from && t <= to).length,
      maxGapMs: inWindow.reduce((m, g) => Math.max(m, g.gapMs), 0),
      missedTicks: inWindow.filter((g) => g.gapMs > 2 * PERIOD_MS).length,
      switches: inWindow.filter((g) => g.holder !== g.prevHolder),
      seqBreaks: this.seqBreaks.filter((b) => b.at >= from && b.at <= to).length,
    };
  }

  /** Who sent the last command and how long ago (ms), for health checks and tests. */
  lastCommand(): { holder: string; ageMs: number; seq: number } | undefined {
    return (
      this.last && { holder: this.last.holder, ageMs: performance.now() - this.last.at, seq: this.last.seq }
    );
  }

  close(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    this.ticks++;
    const k = 0.2;
    for (const axis of ['x', 'y', 'z', 'yaw'] as const)
      this.position[axis] += k * (this.setpoint[axis] - this.position[axis]);
    if (this.ticks % 10 === 0 && this.holder) this.emit({ kind: 'telemetry', pos: { ...this.position } });
  }
}
