/** The network faults; each has a netem form and a userspace form (see network-plan.ts). */
export type NetworkFaultKind =
  | 'latency'
  | 'loss'
  | 'partition'
  | 'reorder'
  | 'duplicate'
  | 'corrupt'
  | 'bandwidth';
export type ContainerFaultKind = 'kill' | 'stop' | 'pause' | 'restart';
export type FaultKind = NetworkFaultKind | ContainerFaultKind;

export type Fault =
  /** delayMs, or a random delay in [delayMs, maxDelayMs] drawn at each injection; jitterMs per packet. */
  | { kind: 'latency'; delayMs: number; maxDelayMs?: number; jitterMs?: number }
  | { kind: 'loss' | 'reorder' | 'duplicate' | 'corrupt'; percent: number }
  | { kind: 'partition' }
  | { kind: 'bandwidth'; kbit: number }
  | { kind: 'kill'; signal: string }
  | { kind: 'stop' | 'pause' | 'restart' };

/** How a policy picks among the matching containers at each roll. */
export type Selection =
  | { mode: 'all' }
  | { mode: 'count'; count: number }
  | { mode: 'percent'; percent: number };

/** Which implementation of the network faults a policy asks for. */
export type NetworkPath = 'auto' | 'netem' | 'userspace';

export interface Policy {
  name: string;
  /** Entropy's injector image; recorded and shown. Aloft injects with its own helper image. */
  image: string;
  /** Docker labels, "K" or "K=V"; every one must match. */
  criteria: string[];
  /** A regular expression on the container name (without the leading slash). */
  namePattern?: string;
  selection: Selection;
  failures: Fault[];
  /** Seconds between rolls. */
  frequency: number;
  /** At each roll: inject with this probability, clear with 1 - p. */
  probability: number;
  /** Seconds an injection lasts before it is restored; 0: until a roll clears it. */
  duration: number;
  /** Fraction (0..1) by which each period varies at random. */
  jitter: number;
  /** Seconds after which the policy ends and restores everything; 0: forever. */
  runFor: number;
  dryRun: boolean;
  path: NetworkPath;
  createdAt: string;
}

/** A container as the targeting logic sees it. */
export interface Target {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
}

/** One audit line: every injection, restoration and decision the engine makes. */
export interface AuditEvent {
  time: string;
  action:
    | 'inject'
    | 'restore'
    | 'skip'
    | 'no-target'
    | 'policy-created'
    | 'policy-deleted'
    | 'reconcile'
    | 'error';
  policy?: string;
  target?: { id: string; name: string };
  fault?: string;
  parameters?: Record<string, unknown>;
  result: 'ok' | 'dry-run' | 'failed' | 'info';
  detail?: string;
}
