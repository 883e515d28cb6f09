// The policy model. A policy is data (JSON or CBOR) so that a fleet operator can change how
// devices update without shipping code; these types are what parsePolicy returns after
// validation, and what evaluatePolicy reads.

// One list of strategy names for the whole fleet: the signed manifest defines it.
import { STRATEGIES, type Strategy } from '../protocol/manifest.js';

export { STRATEGIES, type Strategy };

export const FLIGHT_STATES = ['landed', 'armed', 'flying'] as const;
export type FlightState = (typeof FLIGHT_STATES)[number];

/** The device agent asks twice: before downloading the patch and before switching versions. */
export const PHASES = ['download', 'switch'] as const;
export type Phase = (typeof PHASES)[number];

export const ACTIONS = ['update', 'wait', 'refuse'] as const;
export type Action = (typeof ACTIONS)[number];

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** An inclusive range; either end may be left open. */
export interface Range {
  readonly min?: number;
  readonly max?: number;
}

/** A daily time window in local time (UTC plus `utcOffsetMinutes`); `from` > `to` wraps midnight. */
export interface TimeWindow {
  /** Minutes after local midnight, 0..1439 (written "HH:MM" in the policy). */
  readonly from: number;
  readonly to: number;
  /** Days on which the window opens (the day of `from`); all days when absent. */
  readonly days?: readonly Weekday[];
  readonly utcOffsetMinutes: number;
  /** Match when the time is OUTSIDE the window (e.g. "wait outside the maintenance window"). */
  readonly outside: boolean;
}

export interface VersionCondition {
  readonly in?: readonly string[];
  /** Matches versions strictly below this one (dotted numeric comparison). */
  readonly below?: string;
  readonly atLeast?: string;
}

/** Every condition present must hold for the rule to match (logical AND). */
export interface Conditions {
  readonly phase?: readonly Phase[];
  readonly flightState?: readonly FlightState[];
  readonly battery?: Range;
  readonly charging?: boolean;
  readonly link?: Range;
  readonly time?: TimeWindow;
  readonly currentVersion?: VersionCondition;
  readonly targetVersion?: VersionCondition;
  /** True: the target is older than the current version. */
  readonly downgrade?: boolean;
  /** Canary: the device's cohort (0..99) is below `percent`, i.e. `percent` % of the fleet. */
  readonly canary?: { readonly percent: number };
  readonly cohort?: Range;
  /** true: any update lock held; a list: any of these named locks held; false: no lock held. */
  readonly locks?: boolean | readonly string[];
}

export interface Rule {
  readonly name: string;
  readonly when: Conditions;
  readonly action: Action;
  /** For `update` and `wait`: the strategy to use instead of the policy's default. */
  readonly strategy?: Strategy;
  /** Words for a person, added to the generated reason. */
  readonly reason?: string;
}

export interface Policy {
  readonly version: 1;
  /** Strategy used when the matching rule names none. */
  readonly strategy: Strategy;
  /** What happens when no rule matches. */
  readonly otherwise: Action;
  /** Rules are tried in order; the first whose conditions all hold decides (like a firewall). */
  readonly rules: readonly Rule[];
}

/** What the device reports about itself. Everything the policy can look at, gathered first. */
export interface DeviceFacts {
  readonly phase: Phase;
  readonly flightState: FlightState;
  /** 0..100 */
  readonly batteryPercent: number;
  readonly charging: boolean;
  /** 0..100: the agent's estimate of link quality (e.g. from RSSI and recent loss). */
  readonly linkQuality: number;
  readonly currentVersion: string;
  readonly targetVersion: string;
  /** 0..99, stable per device and rollout (see cohortOf). */
  readonly cohort: number;
  /** Names of update locks currently held by apps on the device. */
  readonly locks: readonly string[];
}

export type FactName = keyof DeviceFacts | 'time';

export interface Decision {
  readonly action: Action;
  /** The strategy to use (for `refuse`, the policy's default, for the record). */
  readonly strategy: Strategy;
  /** One or two sentences a person can read. */
  readonly reason: string;
  /** The name of the rule that decided, or null when none matched (`otherwise`). */
  readonly rule: string | null;
  /** For `wait`: ask again at this time (ms since the epoch), when a time window opens or closes. */
  readonly retryAt: number | null;
  /** For `wait`: ask again when any of these facts changes. */
  readonly waitFor: readonly FactName[];
}
