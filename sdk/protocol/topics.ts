import { toHex } from './hex.js';

// One place for every topic name (README "Protocol"). Fleet and device names are single
// topic levels (schema NAME): no '/', '+', '#' or a leading '$'.

export const topics = {
  /** Retained: the latest signed manifest (COSE_Sign1), so a device that connects late gets it. */
  manifest: (fleet: string) => `aloft/${fleet}/manifest`,
  /** Fleet broadcast of a patch's blocks; the level is the patch digest's first 16 hex digits. */
  blocks: (fleet: string, digest: Uint8Array) => `aloft/${fleet}/blocks/${toHex(digest).slice(0, 16)}`,
  blocksAll: (fleet: string) => `aloft/${fleet}/blocks/+`,
  /** Devices publish repair requests here; publishers subscribe (shared with MQTT 5). */
  repair: (fleet: string) => `aloft/${fleet}/repair`,
  /** `$share/<group>/...`: MQTT 5 shared subscription, so each repair reaches one publisher. */
  repairShared: (fleet: string, group = 'aloft-publishers') => `$share/${group}/aloft/${fleet}/repair`,
  /**
   * Retained: a manifest for one device only (a full image for a device that asked for one, so
   * the rest of the fleet does not download it).
   */
  deviceManifest: (fleet: string, device: string) => `aloft/${fleet}/devices/${device}/manifest`,
  /** Answers to one device's repair, and one device's full image: only that device receives them. */
  deviceBlocks: (fleet: string, device: string) => `aloft/${fleet}/devices/${device}/blocks`,
  /** Retained CBOR state; the device's last will sets phase 'offline' here. */
  state: (fleet: string, device: string) => `aloft/${fleet}/devices/${device}/state`,
  stateAll: (fleet: string) => `aloft/${fleet}/devices/+/state`,
  /** Devices whose image is not the delta's precursor ask for a full image here. */
  fullRequest: (fleet: string) => `aloft/${fleet}/full-image`,
} as const;
