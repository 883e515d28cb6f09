import type { MqttClient } from 'mqtt';
import { type DeviceState, decodeState, topics } from '../protocol/index.js';
import { connectBroker, type ProtocolChoice } from './connect.js';

/**
 * Watches a fleet's retained state topics. Each device's latest state (schema-checked) is
 * kept by name; a malformed report is dropped, never shown.
 */
export class FleetWatcher {
  private client: MqttClient | undefined;
  readonly devices = new Map<string, DeviceState>();
  onChange: ((state: DeviceState) => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly fleet: string,
    private readonly mqttVersion: ProtocolChoice = 'auto',
  ) {}

  async start(): Promise<void> {
    const { client } = await connectBroker(this.url, { mqttVersion: this.mqttVersion, clean: true });
    this.client = client;
    client.on('error', () => {});
    client.on('message', (topic, payload) => {
      if (payload.length === 0) return; // a cleared retained state
      try {
        const state = decodeState(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
        if (topic !== topics.state(this.fleet, state.device)) return; // a device speaking for another
        this.devices.set(state.device, state);
        this.onChange?.(state);
      } catch {
        // not a state report: ignored, as every inbound message that fails its schema
      }
    });
    await client.subscribeAsync(topics.stateAll(this.fleet), { qos: 1 });
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}

/** One row per device: name, phase, progress, version, last rejection. */
export function renderFleetTable(devices: Iterable<DeviceState>, now: number): string {
  const rows = [['DEVICE', 'PHASE', 'PROGRESS', 'VERSION', 'SEQ', 'AGE', 'LAST REJECTION']];
  const sorted = [...devices].sort((a, b) => a.device.localeCompare(b.device));
  for (const s of sorted) {
    const progress =
      s.have !== undefined && s.total
        ? `${s.have}/${s.total} (${Math.floor((100 * s.have) / s.total)}%)`
        : '-';
    const phase =
      (s.phase === 'failed' || s.phase === 'waiting') && s.reason
        ? `${s.phase}: ${s.reason.slice(0, 40)}`
        : s.phase;
    const version = s.version ? (s.version.startsWith('sha256:') ? s.version.slice(7, 19) : s.version) : '-';
    const age = s.at ? `${Math.max(0, Math.round((now - s.at) / 1000))}s` : '-';
    rows.push([
      s.device,
      phase,
      progress,
      version,
      String(s.installedSeq ?? '-'),
      age,
      s.rejection?.code.replace('PROTOCOL_', '') ?? '-',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
