import type { Readable } from 'node:stream';

/** What to run: the parts of `docker run` a function call needs. */
export interface FunctionSpec {
  image: string;
  /** Arguments after the image, as `docker run IMAGE ARGS...` (they replace the image's CMD). */
  args?: string[];
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  /** Replaces the image's ENTRYPOINT. */
  entrypoint?: string[];
  /** "none", "bridge", "host" or a network name; default the engine's default (bridge). */
  network?: string;
  memoryBytes?: number;
  nanoCpus?: number;
  /** Bind mounts, "HOST:CONTAINER[:ro]" as `docker run -v`. */
  binds?: string[];
  labels?: Record<string, string>;
}

/** Bytes for the container's stdin: given whole, or as a stream. */
export type StdinSource = string | Uint8Array | AsyncIterable<Uint8Array | string>;

/** One running function container (or Swarm task). */
export interface Execution {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves with the exit code once the process ended and both outputs ended. */
  readonly exit: Promise<number>;
  /** Kills (if running) and removes the container; idempotent; never rejects. */
  dispose(): Promise<void>;
}

/** Where function containers run: the local engine, a warm pool on it, or a Swarm. */
export interface Backend {
  readonly name: string;
  start(spec: FunctionSpec, stdin?: StdinSource): Promise<Execution>;
  /** Removes whatever the backend still holds (pool containers, services). */
  close(): Promise<void>;
}
