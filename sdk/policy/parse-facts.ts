import { Checker } from './check.js';
import { type DeviceFacts, FLIGHT_STATES, PHASES } from './types.js';

const check: Checker = new Checker('POLICY_FACTS_INVALID');

/**
 * Validates what a device reports before the policy looks at it: a NaN battery level must not
 * read as "not low". `locks` and `charging` may be left out (none held, not charging).
 */
export function parseFacts(value: unknown): DeviceFacts {
  const o = check.object(value, 'facts', [
    'phase',
    'flightState',
    'batteryPercent',
    'charging',
    'linkQuality',
    'currentVersion',
    'targetVersion',
    'cohort',
    'locks',
  ]);
  return {
    phase: check.oneOf(o.phase, 'facts.phase', PHASES),
    flightState: check.oneOf(o.flightState, 'facts.flightState', FLIGHT_STATES),
    batteryPercent: check.number(o.batteryPercent, 'facts.batteryPercent', 0, 100),
    charging: o.charging === undefined ? false : check.boolean(o.charging, 'facts.charging'),
    linkQuality: check.number(o.linkQuality, 'facts.linkQuality', 0, 100),
    currentVersion: check.string(o.currentVersion, 'facts.currentVersion'),
    targetVersion: check.string(o.targetVersion, 'facts.targetVersion'),
    cohort: check.number(o.cohort, 'facts.cohort', 0, 99, true),
    locks: o.locks === undefined ? [] : check.strings(o.locks, 'facts.locks'),
  };
}

/** Checks `now` (ms since the epoch) the same way: a clock is a fact too. */
export function parseNow(now: unknown): number {
  return check.number(now, 'now', 0, 8.64e15, false);
}
