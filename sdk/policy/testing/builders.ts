// Builders for policy tests (the balena-supervisor way): a valid default for everything, and
// the test states only what it is about.
import { parsePolicy } from '../parse-policy.js';
import type { DeviceFacts, Policy } from '../types.js';

export const facts = (over: Partial<DeviceFacts> = {}): DeviceFacts => ({
  phase: 'download',
  flightState: 'landed',
  batteryPercent: 80,
  charging: false,
  linkQuality: 70,
  currentVersion: '1.0.0',
  targetVersion: '1.1.0',
  cohort: 50,
  locks: [],
  ...over,
});

type RuleSource = { name?: string; when?: object; action?: string; strategy?: string; reason?: string };

/** A policy from rule sources; rules get names r0, r1, ... unless they bring their own. */
export const policy = (rules: RuleSource[], top: { strategy?: string; otherwise?: string } = {}): Policy =>
  parsePolicy({
    version: 1,
    ...top,
    rules: rules.map((r, i) => ({ name: `r${i}`, action: 'wait', ...r })),
  });

/** ms since the epoch for a UTC date and time, e.g. at(2026, 11, 27, 3, 40) (month 1..12). */
export const at = (year: number, month: number, day: number, hour = 0, minute = 0): number =>
  Date.UTC(year, month - 1, day, hour, minute);
