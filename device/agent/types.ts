/** The shapes the agent plans with and keeps in its journal. Plain data: JSON-serialisable. */

import { STRATEGIES, type Strategy } from '../../sdk/protocol/index.js';

export { STRATEGIES, type Strategy };

/** One version of the app: the image the engine runs it from. */
export interface Release {
  version: string;
  /** An image reference the engine knows once the release is fetched (tag or sha256:...). */
  image: string;
}

/**
 * Where the bytes of a new image come from. `engine`: already in the local engine (built or
 * loaded by someone else). `tar`: a `docker save` tarball to download (copy, resumable) and
 * load. `delta`: reserved for the protocol/delta path (patch file applied against the running image).
 */
export type ImageSourceSpec =
  | { kind: 'engine' }
  | { kind: 'tar'; path: string; bytesPerSecond?: number }
  | { kind: 'delta'; patchPath: string; baseImage: string };

/** What someone (the CLI, the MQTT receiver) asks the agent to run next. */
export interface UpdateRequest {
  release: Release;
  source: ImageSourceSpec;
  /** Explicit settings (e.g. from a signed manifest) win over image labels. */
  strategy?: Strategy;
  handoverTimeoutMs?: number;
  healthWindowMs?: number;
  lockTimeoutMs?: number;
  /** Labels of the target (manifest or image): io.aloft.update.* and io.balena.update.* aliases. */
  labels?: Record<string, string>;
}

export interface UpdateSettings {
  strategy: Strategy;
  handoverTimeoutMs: number;
  healthWindowMs: number;
  lockTimeoutMs: number;
}

export type Phase =
  /** Download/apply/load the new image while the old one runs (download-then-kill, hand-over). */
  | 'fetch'
  /** kill-then-download / delete-then-download: stop (and delete) the old version first. */
  | 'stop-old'
  | 'fetch-new'
  /** Stop old, start new (the kill strategies' switch). */
  | 'switch'
  | 'hand-over'
  | 'health'
  | 'commit'
  | 'rollback';

export interface UpdateRecord {
  request: UpdateRequest;
  settings: UpdateSettings;
  phase: Phase;
  /** The agent run (boot id) that entered this phase: a hand-over interrupted by a crash is redone. */
  bootId: string;
  attempts: number;
  /** Resources the old version held when it was switched off: v2 must hold them to be healthy. */
  required: string[];
  reason?: string;
  startedAt: number;
}

export interface Outcome {
  version: string;
  result: 'updated' | 'rolled-back' | 'failed' | 'installed';
  reason?: string;
  at: number;
}

export interface Journal {
  format: 1;
  app: string;
  /** The version known good: the one that runs, or must be brought back. */
  current?: Release;
  update?: UpdateRecord;
  last?: Outcome;
}

/** What the agent sees on the engine before each planning round. */
export interface Facts {
  containers: Array<{ version: string; running: boolean }>;
  /** Images (as named in releases) present in the engine. */
  images: string[];
  bootId: string;
  now: number;
}
