import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import {
  blockCount,
  decodeFullImageRequest,
  decodeRepair,
  encodeBlock,
  type FullImageRequest,
  hasBit,
  type Manifest,
  openManifest,
  type TrustedKey,
  toHex,
  topics,
} from '../protocol/index.js';
import { connectBroker, type ProtocolChoice } from './connect.js';

export interface PublisherOptions {
  url: string;
  fleet: string;
  mqttVersion?: ProtocolChoice;
  /** Shared-subscription group for repairs on MQTT 5 (default aloft-publishers). */
  shareGroup?: string;
  /** QoS 1 blocks in flight at once (default 32): enough to fill a loopback or LAN link. */
  window?: number;
  clientId?: string;
  /** Pace block payloads to this many bytes per second (a thin link's share); default unpaced. */
  maxBytesPerSecond?: number;
}

interface Offer {
  readonly manifest: Manifest;
  readonly patch: Uint8Array;
  /** Blocks [0, sent) have been broadcast: repairs for later ones wait for the broadcast. */
  sent: number;
  readonly total: number;
}

export interface PublisherEvents {
  repair: [device: string, blocks: number];
  'full-image-request': [FullImageRequest];
  invalid: [topic: string, error: Error];
}

/**
 * The host side: publishes a signed manifest (retained) and broadcasts the patch's blocks
 * once, then answers repair requests with exactly the blocks asked for, on the asking device's
 * own topic. On MQTT 5 it subscribes to repairs through `$share/<group>/`, so publishers
 * started for the same fleet split the repair work; MQTT 3.1.1 (aedes) has no shared
 * subscriptions, so there every publisher answers every repair: duplicate blocks are harmless.
 */
export class Publisher extends EventEmitter<PublisherEvents> {
  private client: MqttClient | undefined;
  private version: 4 | 5 = 4;
  private readonly offers = new Map<string, Offer>();
  private inFlight = new Set<Promise<unknown>>();
  private repairChain: Promise<void> = Promise.resolve();
  private pacedUntil = 0;
  readonly stats = { broadcastBlocks: 0, directBlocks: 0, repairRequests: 0, repairedBlocks: 0, bytesOut: 0 };

  constructor(private readonly options: PublisherOptions) {
    super();
  }

  get protocolVersion(): 4 | 5 {
    return this.version;
  }

  async start(): Promise<void> {
    const { client, protocolVersion } = await connectBroker(this.options.url, {
      mqttVersion: this.options.mqttVersion,
      clientId: this.options.clientId,
      clean: true,
    });
    this.client = client;
    this.version = protocolVersion;
    client.on('error', () => {});
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    const { fleet } = this.options;
    const repairTopic =
      protocolVersion === 5 ? topics.repairShared(fleet, this.options.shareGroup) : topics.repair(fleet);
    await client.subscribeAsync({ [repairTopic]: { qos: 1 }, [topics.fullRequest(fleet)]: { qos: 1 } });
  }

  async stop(): Promise<void> {
    await this.repairChain;
    await Promise.allSettled(this.inFlight);
    await this.client?.endAsync();
  }

  /**
   * Makes a patch available for repairs without broadcasting it (a second publisher sharing
   * the repair work, or a publisher restarted after the broadcast). `keys` verifies it first.
   */
  offer(envelope: Uint8Array, patch: Uint8Array, keys: readonly TrustedKey[]): Manifest {
    const manifest = openManifest(envelope, keys);
    if (manifest.patch.size !== patch.length)
      throw new RangeError(`patch is ${patch.length} bytes, the manifest says ${manifest.patch.size}`);
    const total = blockCount(patch.length, manifest.patch.blockSize);
    this.offers.set(toHex(manifest.patch.digest), { manifest, patch, sent: total, total });
    return manifest;
  }

  /** Publishes the manifest (retained) and broadcasts every block once. */
  async publish(envelope: Uint8Array, patch: Uint8Array, keys: readonly TrustedKey[]): Promise<Manifest> {
    const client = this.need();
    const manifest = this.offer(envelope, patch, keys);
    const offer = this.offers.get(toHex(manifest.patch.digest)) as Offer;
    offer.sent = 0;
    await client.publishAsync(topics.manifest(this.options.fleet), Buffer.from(envelope), {
      qos: 1,
      retain: true,
    });
    this.stats.bytesOut += envelope.length;
    const topic = topics.blocks(this.options.fleet, manifest.patch.digest);
    const n = blockCount(patch.length, manifest.patch.blockSize);
    for (let i = 0; i < n; i++) {
      await this.send(topic, manifest, patch, i);
      offer.sent = i + 1;
      this.stats.broadcastBlocks++;
    }
    await Promise.all(this.inFlight);
    return manifest;
  }

  /**
   * Sends an update to one device only: its manifest retained on the device's own manifest
   * topic, its blocks on the device's block topic. For a full image answering a device's
   * full-image request: the rest of the fleet never receives it.
   */
  async sendTo(
    device: string,
    envelope: Uint8Array,
    patch: Uint8Array,
    keys: readonly TrustedKey[],
  ): Promise<Manifest> {
    const client = this.need();
    const manifest = this.offer(envelope, patch, keys);
    await client.publishAsync(topics.deviceManifest(this.options.fleet, device), Buffer.from(envelope), {
      qos: 1,
      retain: true,
    });
    this.stats.bytesOut += envelope.length;
    const topic = topics.deviceBlocks(this.options.fleet, device);
    for (let i = 0; i < blockCount(patch.length, manifest.patch.blockSize); i++) {
      await this.send(topic, manifest, patch, i);
      this.stats.directBlocks++;
    }
    await Promise.all(this.inFlight);
    return manifest;
  }

  private async send(topic: string, manifest: Manifest, patch: Uint8Array, index: number) {
    const client = this.need();
    const { blockSize, digest } = manifest.patch;
    const payload = encodeBlock({
      digest,
      index,
      data: patch.subarray(index * blockSize, (index + 1) * blockSize),
    });
    this.stats.bytesOut += payload.length;
    await this.pace(payload.length);
    const p = client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.length), {
      qos: 1,
    });
    this.inFlight.add(p);
    p.catch(() => {}).finally(() => this.inFlight.delete(p));
    // Bounded window: memory stays flat and the broker is not flooded faster than it forwards.
    if (this.inFlight.size >= (this.options.window ?? 32)) await Promise.race(this.inFlight);
  }

  private async pace(bytes: number) {
    const rate = this.options.maxBytesPerSecond;
    if (!rate) return;
    const now = Date.now();
    this.pacedUntil = Math.max(this.pacedUntil, now) + (bytes * 1000) / rate;
    const wait = this.pacedUntil - now;
    if (wait >= 5) await new Promise((r) => setTimeout(r, wait));
  }

  private onMessage(topic: string, payload: Buffer) {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
    try {
      if (topic === topics.fullRequest(this.options.fleet)) {
        this.emit('full-image-request', decodeFullImageRequest(bytes));
        return;
      }
      const repair = decodeRepair(bytes);
      const offer = this.offers.get(toHex(repair.digest));
      if (!offer) return; // another publisher's patch, or one we no longer hold
      this.stats.repairRequests++;
      // One repair at a time keeps the window meaningful when many devices ask together.
      this.repairChain = this.repairChain
        .then(() => this.answer(offer, repair.device, repair.missing))
        .catch((e) => {
          this.emit('invalid', topic, e as Error);
        });
    } catch (e) {
      this.emit('invalid', topic, e as Error);
    }
  }

  private async answer(offer: Offer, device: string, missing: Uint8Array) {
    const topic = topics.deviceBlocks(this.options.fleet, device);
    let count = 0;
    // Only blocks broadcast before the request came: later ones reach the device the ordinary
    // way. The cursor is read once; chasing it would re-send what the broadcast just delivered.
    // While broadcasting, the last `window` blocks may still be on their way to the device too.
    const window = this.options.window ?? 32;
    const limit = offer.sent < offer.total ? Math.max(0, offer.sent - window) : offer.sent;
    for (let i = 0; i < limit; i++) {
      if (i >> 3 >= missing.length || !hasBit(missing, i)) continue;
      await this.send(topic, offer.manifest, offer.patch, i);
      this.stats.repairedBlocks++;
      count++;
    }
    this.emit('repair', device, count);
  }

  private need(): MqttClient {
    if (!this.client) throw new Error('publisher not started: call start() first');
    return this.client;
  }
}
