import { EventEmitter } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  admitManifest,
  checkBlock,
  type DeviceState,
  decodeBlock,
  encodeFullImageRequest,
  encodeRepair,
  equalBytes,
  invertBitmap,
  isProtocolError,
  type Manifest,
  openManifest,
  type Phase,
  ProtocolError,
  type TrustedKey,
  topics,
} from '../protocol/index.js';
import { BlockStore } from './block-store.js';
import { connectBroker, type ProtocolChoice } from './connect.js';
import { type InstalledFacts, loadFacts, saveFacts } from './device-facts.js';
import { nodeSha256 } from './node-sha256.js';
import { StateReporter, willFor } from './state-reporter.js';

export interface ReceiverOptions {
  url: string;
  fleet: string;
  device: string;
  keys: readonly TrustedKey[];
  /** Where the download, its bitmap and device.cbor live; survives restarts. */
  dataDir: string;
  /** Used when dataDir holds no device.cbor yet (first boot). */
  initial?: InstalledFacts;
  mqttVersion?: ProtocolChoice;
  /** Silence (ms) during a download before asking for the missing blocks (default 1500). */
  repairAfterMs?: number;
  /**
   * Ask the broker to keep no session (default false: keep one, so it queues blocks while the
   * link is down). Without a session every reconnect costs a repair of what was missed.
   */
  cleanSession?: boolean;
  /** Delay before reconnecting after a lost link, ms (default 1000). */
  reconnectPeriodMs?: number;
  /** Clock for expiry checks, Unix ms (tests move it). */
  now?: () => number;
  /**
   * Asked once a manifest is admitted and before any of its blocks is kept (the device's update
   * policy in its 'download' phase). 'wait' asks again at `retryAt` (bounded to 1–60 s) until
   * the manifest expires; the blocks broadcast meanwhile are fetched later by repair requests.
   * A download already under way when the device restarts is not asked again.
   */
  beforeDownload?: (manifest: Manifest) => DownloadGate | Promise<DownloadGate>;
  /** Called once the patch is complete and its digest verified. The agent applies it from here. */
  onPatchReady?: (manifest: Manifest, path: string) => void | Promise<void>;
}

/** The answer to `beforeDownload`: what the download needs of an update policy's decision. */
export interface DownloadGate {
  readonly action: 'update' | 'wait' | 'refuse';
  /** For wait and refuse: why, in words the fleet's state topic shows. */
  readonly reason?: string;
  /** For wait: when to ask again (Unix ms); null or absent: soon. */
  readonly retryAt?: number | null;
}

export interface ReceiverEvents {
  manifest: [Manifest];
  rejected: [ProtocolError];
  block: [index: number, fresh: boolean];
  'repair-sent': [missing: number];
  'patch-ready': [Manifest, string];
  state: [DeviceState];
}

/**
 * The device side of the protocol: admits manifests, collects blocks into an on-disk store,
 * asks for repairs after silence or a lost session, and reports state. It stops at "patch
 * complete and verified on disk"; the device agent takes over through `onPatchReady`, drives
 * the later phases with `report()` and records the result with `markInstalled()`.
 */
export class DeviceReceiver extends EventEmitter<ReceiverEvents> {
  private client: MqttClient | undefined;
  private facts: InstalledFacts = { seq: 0 };
  private store: BlockStore | undefined;
  private envelope: Uint8Array | undefined;
  private readonly reporter: StateReporter;
  private repairTimer: NodeJS.Timeout | undefined;
  private gateTimer: NodeJS.Timeout | undefined;
  private repairBackoff = 1;
  private rejection: DeviceState['rejection'];
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly repairAfterMs: number;
  private readonly downloadDir: string;
  private readyPath: string | undefined;
  private phase: Phase = 'idle';
  /** Counters for tests and benchmarks. */
  readonly stats = { blocks: 0, duplicates: 0, rejectedBlocks: 0, repairs: 0 };

  constructor(private readonly options: ReceiverOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.repairAfterMs = options.repairAfterMs ?? 1500;
    this.downloadDir = join(options.dataDir, 'download');
    this.reporter = new StateReporter(options.fleet, options.device);
  }

  /** The verified patch waiting for the agent, if any (also passed to onPatchReady). */
  get patchPath(): string | undefined {
    return this.readyPath;
  }

  get state(): DeviceState | undefined {
    return this.reporter.current;
  }

  async start(): Promise<void> {
    const { fleet, device } = this.options;
    this.facts = (await loadFacts(this.options.dataDir)) ?? this.options.initial ?? { seq: 0 };
    await mkdir(this.options.dataDir, { recursive: true });
    await saveFacts(this.options.dataDir, this.facts);
    this.phase = this.facts.image ? 'running' : 'idle';
    await this.resumeFromDisk();
    this.publishState();
    const { client, sessionPresent } = await connectBroker(this.options.url, {
      mqttVersion: this.options.mqttVersion,
      clientId: `aloft-${fleet}-${device}`,
      // A kept session lets the broker queue the blocks broadcast while the link was down.
      clean: this.options.cleanSession ?? false,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      properties: { sessionExpiryInterval: this.options.cleanSession ? 0 : 3600 },
      will: willFor(fleet, device, this.state),
    });
    this.client = client;
    client.on('message', (topic, payload) => this.enqueue(() => this.onMessage(topic, payload)));
    client.on('connect', (ack) => this.onConnected(ack.sessionPresent));
    client.on('error', () => {}); // reconnects on its own; state shows offline via the will
    await this.onConnected(sessionPresent);
  }

  /** Goes offline cleanly: the last will only fires on a lost link, so say 'offline' first. */
  async stop(): Promise<void> {
    clearTimeout(this.repairTimer);
    clearTimeout(this.gateTimer);
    await this.queue;
    if (this.client?.connected) {
      this.publishState({ phase: 'offline' });
      await this.reporter.flush();
    }
    this.reporter.stop();
    await this.store?.close();
    await this.client?.endAsync();
  }

  /** The agent reports the phases after the download (applying, handing-over, failed, ...). */
  report(state: Omit<DeviceState, 'device' | 'at'>): void {
    this.publishState(state);
  }

  /** Records an installed update: the anti-rollback floor and the new precursor for deltas. */
  async markInstalled(manifest: Manifest, version?: string): Promise<void> {
    this.facts = { seq: manifest.sequence, image: manifest.target.imageId, version };
    await saveFacts(this.options.dataDir, this.facts);
    await this.store?.close();
    this.store = undefined;
    this.readyPath = undefined;
    await rm(this.downloadDir, { recursive: true, force: true });
    this.publishState({ phase: 'running' });
  }

  private enqueue(task: () => Promise<void>) {
    // Messages are handled one at a time: block writes and bitmap updates must not interleave.
    this.queue = this.queue.then(task).catch((e) => this.reject(toProtocolError(e)));
  }

  private async onConnected(sessionPresent: boolean) {
    const { fleet, device } = this.options;
    if (!this.client) return;
    this.reporter.attach(this.client);
    if (!sessionPresent) {
      await this.client.subscribeAsync({
        [topics.manifest(fleet)]: { qos: 1 },
        [topics.blocksAll(fleet)]: { qos: 1 },
        [topics.deviceBlocks(fleet, device)]: { qos: 1 },
        [topics.deviceManifest(fleet, device)]: { qos: 1 },
      });
    }
    // Without a session the blocks sent meanwhile are gone: ask at once. With one, the broker
    // replays them; the silence timer asks for whatever still lacks.
    if (this.store && !this.store.complete) {
      if (!sessionPresent) this.enqueue(() => this.sendRepair());
      else this.armRepair();
    }
  }

  private async resumeFromDisk() {
    const envelope = await readFile(join(this.downloadDir, 'manifest.cose')).catch(() => undefined);
    if (!envelope) return;
    try {
      const manifest = this.admit(envelope);
      await this.begin(manifest, envelope);
    } catch (e) {
      this.reject(toProtocolError(e), false);
      await rm(this.downloadDir, { recursive: true, force: true });
    }
  }

  private admit(envelope: Uint8Array): Manifest {
    return admitManifest(envelope, {
      fleet: this.options.fleet,
      keys: this.options.keys,
      installedSeq: this.facts.seq,
      currentImage: this.facts.image,
      now: this.now(),
    });
  }

  private async onMessage(topic: string, payload: Buffer) {
    const { fleet } = this.options;
    // The manifest is kept, so it is copied; a block is written and dropped, so a view will do
    // (copying 16 KiB per block per device showed in the 200-device profile).
    if (topic === topics.manifest(fleet) || topic === topics.deviceManifest(fleet, this.options.device))
      return this.onManifest(Uint8Array.from(payload));
    return this.onBlock(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
  }

  private async onManifest(envelope: Uint8Array) {
    if (envelope.length === 0) return; // a cleared retained manifest
    // The retained manifest comes back on every reconnect: the one in progress is not news.
    if (this.envelope && equalBytes(this.envelope, envelope)) return;
    let manifest: Manifest;
    try {
      manifest = this.admit(envelope);
    } catch (e) {
      const err = toProtocolError(e);
      // The retained manifest of what we already run is old news, not an attack.
      if (err.code === 'PROTOCOL_REPLAYED' && this.isInstalledManifest(envelope)) return;
      this.reject(err);
      if (err.code === 'PROTOCOL_WRONG_PRECURSOR') this.requestFullImage(envelope);
      return;
    }
    if (this.store && this.store.manifest.sequence >= manifest.sequence) {
      this.reject(
        new ProtocolError(
          'PROTOCOL_REPLAYED',
          `manifest ${manifest.sequence} is not above the download in progress (${this.store.manifest.sequence})`,
        ),
      );
      return;
    }
    await this.store?.close();
    this.store = undefined;
    this.readyPath = undefined;
    await rm(this.downloadDir, { recursive: true, force: true });
    clearTimeout(this.gateTimer);
    this.envelope = envelope;
    this.emit('manifest', manifest);
    await this.gate(manifest, envelope);
  }

  /** Asks the policy (if any) whether to download now; begins, waits or refuses accordingly. */
  private async gate(manifest: Manifest, envelope: Uint8Array) {
    // A newer manifest replaced this one while it waited.
    if (this.envelope !== envelope) return;
    if (this.now() >= manifest.expiresAt) {
      this.envelope = undefined;
      this.reject(
        new ProtocolError('PROTOCOL_EXPIRED', `manifest ${manifest.sequence} expired while waiting`),
      );
      this.publishState({ phase: this.facts.image ? 'running' : 'idle' });
      return;
    }
    const d = (await this.options.beforeDownload?.(manifest)) ?? { action: 'update' as const };
    if (d.action === 'refuse') {
      this.reject(
        new ProtocolError(
          'PROTOCOL_POLICY_REFUSED',
          `update ${manifest.sequence} refused: ${d.reason ?? 'by the update policy'}`,
        ),
        false,
      );
      this.publishState({ phase: this.facts.image ? 'running' : 'idle' });
      return;
    }
    if (d.action === 'wait') {
      this.publishState({ phase: 'waiting', targetSeq: manifest.sequence, reason: d.reason });
      const delay = Math.max(1000, Math.min(60_000, (d.retryAt ?? 0) - this.now()));
      this.gateTimer = setTimeout(() => this.enqueue(() => this.gate(manifest, envelope)), delay);
      return;
    }
    await this.begin(manifest, envelope);
    // Blocks may already have been queued for us; otherwise ask after the usual silence.
    this.armRepair();
  }

  private isInstalledManifest(envelope: Uint8Array): boolean {
    try {
      const m = openManifest(envelope, this.options.keys);
      return m.sequence === this.facts.seq && m.target.imageId === this.facts.image;
    } catch {
      return false;
    }
  }

  private async begin(manifest: Manifest, envelope: Uint8Array) {
    this.envelope = envelope;
    this.store = await BlockStore.open(this.downloadDir, manifest, envelope);
    this.readyPath = undefined;
    if (this.store.complete) await this.finish();
    else this.publishState({ phase: 'downloading' });
  }

  private async onBlock(payload: Uint8Array) {
    const store = this.store;
    if (!store || store.complete) return;
    let index: number;
    let data: Uint8Array;
    try {
      const block = decodeBlock(payload);
      // A block of an older or other patch is no attack: just not ours.
      if (!equalBytes(block.digest, store.manifest.patch.digest)) return;
      data = checkBlock(store.manifest, block, nodeSha256);
      index = block.index;
    } catch (e) {
      this.stats.rejectedBlocks++;
      this.reject(toProtocolError(e));
      return;
    }
    const fresh = await store.write(index, data);
    if (fresh) this.stats.blocks++;
    else this.stats.duplicates++;
    this.emit('block', index, fresh);
    this.repairBackoff = 1;
    if (store.complete) await this.finish();
    else {
      this.publishState({ phase: 'downloading' });
      this.armRepair();
    }
  }

  private async finish() {
    const store = this.store;
    if (!store) return;
    clearTimeout(this.repairTimer);
    this.publishState({ phase: 'verifying' });
    const path = await store.finish();
    if (!path) {
      // Every block matched its signed hash, so this means a bug or a disk fault: start over.
      await store.discard();
      this.store = undefined;
      this.envelope = undefined;
      this.publishState({
        phase: 'failed',
        reason:
          'PROTOCOL_PATCH_DIGEST: the patch digest did not match; the download restarts with the next manifest',
      });
      return;
    }
    this.readyPath = path;
    this.emit('patch-ready', store.manifest, path);
    await this.options.onPatchReady?.(store.manifest, path);
  }

  private armRepair() {
    clearTimeout(this.repairTimer);
    if (!this.store || this.store.complete) return;
    const wait = this.repairAfterMs * this.repairBackoff;
    this.repairTimer = setTimeout(() => this.enqueue(() => this.sendRepair()), wait);
  }

  private async sendRepair() {
    const store = this.store;
    if (!store || store.complete || !this.client?.connected) return;
    const missing = invertBitmap(store.bitmapCopy(), store.total);
    const payload = encodeRepair({
      digest: store.manifest.patch.digest,
      device: this.options.device,
      missing,
    });
    this.stats.repairs++;
    this.emit('repair-sent', store.total - store.have);
    await this.client.publishAsync(topics.repair(this.options.fleet), Buffer.from(payload), { qos: 1 });
    // Back off while nobody answers (no publisher running), up to 16x the silence.
    this.repairBackoff = Math.min(this.repairBackoff * 2, 16);
    this.armRepair();
  }

  private requestFullImage(envelope: Uint8Array) {
    // Signature and schema already passed in admit(); only the precursor did not fit.
    const m = openManifest(envelope, this.options.keys);
    // The fleet's delta comes back on every reconnect: not news while its full image downloads.
    if (this.store && this.store.manifest.sequence >= m.sequence) return;
    const payload = encodeFullImageRequest({
      device: this.options.device,
      sequence: m.sequence,
      have: this.facts.image ?? 'none',
      want: m.target.imageId,
    });
    this.client?.publish(topics.fullRequest(this.options.fleet), Buffer.from(payload), { qos: 1 });
  }

  private reject(err: ProtocolError, publish = true) {
    this.rejection = { code: err.code, detail: err.message.slice(0, 500), at: this.now() };
    this.emit('rejected', err);
    if (publish) this.publishState();
  }

  private publishState(over: Omit<Partial<DeviceState>, 'device' | 'at'> = {}) {
    if (over.phase) this.phase = over.phase;
    const store = this.store;
    const state: DeviceState = {
      device: this.options.device,
      phase: this.phase,
      version: this.facts.version ?? this.facts.image,
      installedSeq: this.facts.seq,
      ...(store ? { targetSeq: store.manifest.sequence, have: store.have, total: store.total } : {}),
      rejection: this.rejection,
      at: this.now(),
      ...over,
    };
    this.reporter.report(state);
    this.emit('state', state);
  }
}

function toProtocolError(e: unknown): ProtocolError {
  if (isProtocolError(e)) return e;
  return new ProtocolError('PROTOCOL_MALFORMED', `unexpected: ${(e as Error)?.message ?? String(e)}`);
}
