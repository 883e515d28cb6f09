import { formatClock, nextWindowChange, windowMatches } from './clock.js';
import type { Conditions, DeviceFacts, FactName, Range, TimeWindow, VersionCondition } from './types.js';
import { compareVersions } from './version.js';

/** One condition checked against the facts: whether it holds, and in words why. */
export interface ConditionResult {
  readonly holds: boolean;
  /** Why it holds or not, e.g. "battery is 15% (at most 20%)". */
  readonly text: string;
  /** Facts whose change could flip this result; the phase and the cohort never change while waiting. */
  readonly facts: readonly FactName[];
  /** For time windows: when the result flips by itself. */
  readonly changesAt: number | null;
}

const result = (
  holds: boolean,
  text: string,
  facts: FactName[],
  changesAt: number | null = null,
): ConditionResult => ({
  holds,
  text,
  facts,
  changesAt,
});

const inRange = (r: Range, v: number) =>
  (r.min === undefined || v >= r.min) && (r.max === undefined || v <= r.max);

const describeRange = (r: Range, unit: string) =>
  r.min !== undefined && r.max !== undefined
    ? `${r.min}..${r.max}${unit}`
    : r.min !== undefined
      ? `at least ${r.min}${unit}`
      : `at most ${r.max}${unit}`;

function versionHolds(c: VersionCondition, v: string): boolean {
  if (c.in && !c.in.includes(v)) return false;
  if (c.below !== undefined && compareVersions(v, c.below) >= 0) return false;
  if (c.atLeast !== undefined && compareVersions(v, c.atLeast) < 0) return false;
  return true;
}

function describeVersion(c: VersionCondition): string {
  const parts: string[] = [];
  if (c.in) parts.push(`one of ${c.in.join(', ')}`);
  if (c.below !== undefined) parts.push(`below ${c.below}`);
  if (c.atLeast !== undefined) parts.push(`at least ${c.atLeast}`);
  return parts.join(' and ');
}

function describeWindow(w: TimeWindow): string {
  const tz =
    w.utcOffsetMinutes === 0
      ? 'UTC'
      : `UTC${w.utcOffsetMinutes > 0 ? '+' : '-'}${formatClock(Math.abs(w.utcOffsetMinutes))}`;
  const days = w.days ? ` on ${w.days.join(', ')}` : '';
  return `${formatClock(w.from)}-${formatClock(w.to)} ${tz}${days}`;
}

/** Checks every condition present in `when`, in a fixed order, so reasons read the same way each time. */
export function checkConditions(when: Conditions, f: DeviceFacts, now: number): ConditionResult[] {
  const out: ConditionResult[] = [];
  if (when.phase) out.push(result(when.phase.includes(f.phase), `the phase is ${f.phase}`, []));
  if (when.flightState)
    out.push(
      result(when.flightState.includes(f.flightState), `the device is ${f.flightState}`, ['flightState']),
    );
  if (when.battery)
    out.push(
      result(
        inRange(when.battery, f.batteryPercent),
        `the battery is at ${f.batteryPercent}% (rule: ${describeRange(when.battery, '%')})`,
        ['batteryPercent'],
      ),
    );
  if (when.charging !== undefined)
    out.push(
      result(
        when.charging === f.charging,
        f.charging ? 'the device is charging' : 'the device is not charging',
        ['charging'],
      ),
    );
  if (when.link)
    out.push(
      result(
        inRange(when.link, f.linkQuality),
        `link quality is ${f.linkQuality} (rule: ${describeRange(when.link, '')})`,
        ['linkQuality'],
      ),
    );
  if (when.time) {
    const holds = windowMatches(when.time, now);
    const inside = holds !== when.time.outside;
    out.push(
      result(
        holds,
        `the time is ${inside ? 'inside' : 'outside'} the window ${describeWindow(when.time)}`,
        ['time'],
        nextWindowChange(when.time, now),
      ),
    );
  }
  if (when.currentVersion)
    out.push(
      result(
        versionHolds(when.currentVersion, f.currentVersion),
        `the current version ${f.currentVersion} (rule: ${describeVersion(when.currentVersion)})`,
        ['currentVersion'],
      ),
    );
  if (when.targetVersion)
    out.push(
      result(
        versionHolds(when.targetVersion, f.targetVersion),
        `the target version ${f.targetVersion} (rule: ${describeVersion(when.targetVersion)})`,
        ['targetVersion'],
      ),
    );
  if (when.downgrade !== undefined) {
    const older = compareVersions(f.targetVersion, f.currentVersion) < 0;
    out.push(
      result(
        older === when.downgrade,
        `the target ${f.targetVersion} is ${older ? 'older than' : 'not older than'} the current ${f.currentVersion}`,
        ['currentVersion', 'targetVersion'],
      ),
    );
  }
  if (when.canary) {
    const inCanary = f.cohort < when.canary.percent;
    out.push(
      result(
        inCanary,
        `cohort ${f.cohort} is ${inCanary ? 'inside' : 'outside'} the first ${when.canary.percent}% (canary)`,
        [],
      ),
    );
  }
  if (when.cohort)
    out.push(
      result(
        inRange(when.cohort, f.cohort),
        `cohort ${f.cohort} (rule: ${describeRange(when.cohort, '')})`,
        [],
      ),
    );
  if (when.locks !== undefined) {
    const held =
      when.locks === true || when.locks === false
        ? f.locks
        : f.locks.filter((name) => (when.locks as string[]).includes(name));
    const holds = when.locks === false ? held.length === 0 : held.length > 0;
    out.push(
      result(holds, held.length ? `update locks are held (${held.join(', ')})` : 'no update lock is held', [
        'locks',
      ]),
    );
  }
  return out;
}
