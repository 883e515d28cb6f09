import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { type DeviceState, encodeState, topics } from '../protocol/index.js';

/**
 * Publishes a device's state, retained, at most every `intervalMs` while it changes (block
 * progress would otherwise cost a message per block); phase changes go out at once. The last
 * will (see `willFor`) turns the retained state into 'offline' when the link dies.
 */
export class StateReporter {
  private latest: DeviceState | undefined;
  private sentPhase: string | undefined;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private client: MqttClient | undefined;

  constructor(
    private readonly fleet: string,
    private readonly device: string,
    private readonly intervalMs = 500,
  ) {}

  attach(client: MqttClient): void {
    this.client = client;
    if (this.latest) this.flush();
  }

  get current(): DeviceState | undefined {
    return this.latest;
  }

  report(state: DeviceState): void {
    this.latest = state;
    const due = this.lastSent + this.intervalMs - Date.now();
    if (state.phase !== this.sentPhase || due <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), due);
  }

  /** Sends the latest state now; resolves once the broker has it (QoS 1). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const state = this.latest;
    if (!state || !this.client) return Promise.resolve();
    this.sentPhase = state.phase;
    this.lastSent = Date.now();
    const opts: IClientPublishOptions = { qos: 1, retain: true };
    return new Promise((resolve) =>
      this.client?.publish(topics.state(this.fleet, this.device), Buffer.from(encodeState(state)), opts, () =>
        resolve(),
      ),
    );
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The last will: the same retained topic, phase 'offline', so `fleet status` sees it go. */
export function willFor(fleet: string, device: string, last?: DeviceState) {
  const offline: DeviceState = { ...last, device, phase: 'offline', at: last?.at ?? 0 };
  return {
    topic: topics.state(fleet, device),
    payload: Buffer.from(encodeState(offline)),
    qos: 1 as const,
    retain: true,
  };
}
