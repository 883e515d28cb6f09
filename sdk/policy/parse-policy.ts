import { decode } from 'cbor-x/decode';
import { Checker, type Obj } from './check.js';
import { parseClock } from './clock.js';
import { PolicyError } from './errors.js';
import {
  ACTIONS,
  type Conditions,
  FLIGHT_STATES,
  PHASES,
  type Policy,
  type Range,
  type Rule,
  STRATEGIES,
  type TimeWindow,
  type VersionCondition,
  WEEKDAYS,
} from './types.js';

const check: Checker = new Checker('POLICY_INVALID');

/** Keeps a hostile policy from costing the device much: rules are scanned on every decision. */
export const MAX_RULES = 256;

const CONDITION_KEYS = [
  'phase',
  'flightState',
  'battery',
  'charging',
  'link',
  'time',
  'currentVersion',
  'targetVersion',
  'downgrade',
  'canary',
  'cohort',
  'locks',
] as const;

/**
 * Validates a policy given as a parsed object, JSON text or CBOR bytes, and returns it in
 * normal form (times as minutes, single values as lists, defaults filled in). Throws a
 * PolicyError whose message names the bad field.
 */
export function parsePolicy(input: unknown): Policy {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new PolicyError('POLICY_DECODE', '', `policy is not valid JSON (${(e as Error).message})`);
    }
  } else if (input instanceof Uint8Array) {
    try {
      value = decode(input);
    } catch (e) {
      throw new PolicyError('POLICY_DECODE', '', `policy is not valid CBOR (${(e as Error).message})`);
    }
  }
  const o = check.object(value, '', ['version', 'strategy', 'otherwise', 'rules']);
  if (o.version !== 1) check.fail('version', 'must be 1 (the only policy format this build knows)');
  if (!Array.isArray(o.rules)) check.fail('rules', 'must be a list of rules');
  if (o.rules.length > MAX_RULES) check.fail('rules', `must have at most ${MAX_RULES} rules`);
  const rules = o.rules.map((r, i) => parseRule(r, `rules[${i}]`));
  const names = new Set<string>();
  rules.forEach((r, i) => {
    if (names.has(r.name))
      check.fail(`rules[${i}].name`, `"${r.name}" is used by an earlier rule; names must be unique`);
    names.add(r.name);
  });
  return {
    version: 1,
    strategy:
      o.strategy === undefined ? 'download-then-kill' : check.oneOf(o.strategy, 'strategy', STRATEGIES),
    otherwise: o.otherwise === undefined ? 'update' : check.oneOf(o.otherwise, 'otherwise', ACTIONS),
    rules,
  };
}

function parseRule(value: unknown, path: string): Rule {
  const o = check.object(value, path, ['name', 'when', 'action', 'strategy', 'reason']);
  const rule: { -readonly [K in keyof Rule]: Rule[K] } = {
    name: check.string(o.name, `${path}.name`),
    when: parseConditions(o.when, `${path}.when`),
    action: check.oneOf(o.action, `${path}.action`, ACTIONS),
  };
  if (o.strategy !== undefined) {
    if (rule.action === 'refuse')
      check.fail(`${path}.strategy`, 'makes no sense on a rule that refuses; remove it');
    rule.strategy = check.oneOf(o.strategy, `${path}.strategy`, STRATEGIES);
  }
  if (o.reason !== undefined) rule.reason = check.string(o.reason, `${path}.reason`);
  return rule;
}

function parseConditions(value: unknown, path: string): Conditions {
  if (value === undefined) return {}; // a rule with no conditions always matches (a catch-all)
  const o = check.object(value, path, CONDITION_KEYS);
  const c: { -readonly [K in keyof Conditions]: Conditions[K] } = {};
  const at = (key: string) => `${path}.${key}`;
  if (o.phase !== undefined) c.phase = check.someOf(o.phase, at('phase'), PHASES);
  if (o.flightState !== undefined)
    c.flightState = check.someOf(o.flightState, at('flightState'), FLIGHT_STATES);
  if (o.battery !== undefined) c.battery = parseRange(o.battery, at('battery'), 100);
  if (o.charging !== undefined) c.charging = check.boolean(o.charging, at('charging'));
  if (o.link !== undefined) c.link = parseRange(o.link, at('link'), 100);
  if (o.time !== undefined) c.time = parseWindow(o.time, at('time'));
  if (o.currentVersion !== undefined) c.currentVersion = parseVersion(o.currentVersion, at('currentVersion'));
  if (o.targetVersion !== undefined) c.targetVersion = parseVersion(o.targetVersion, at('targetVersion'));
  if (o.downgrade !== undefined) c.downgrade = check.boolean(o.downgrade, at('downgrade'));
  if (o.canary !== undefined) {
    const k = check.object(o.canary, at('canary'), ['percent']);
    c.canary = { percent: check.number(k.percent, `${at('canary')}.percent`, 0, 100) };
  }
  if (o.cohort !== undefined) c.cohort = parseRange(o.cohort, at('cohort'), 99);
  if (o.locks !== undefined)
    c.locks = typeof o.locks === 'boolean' ? o.locks : check.strings(o.locks, at('locks'));
  return c;
}

function parseRange(value: unknown, path: string, max: number): Range {
  const o = check.object(value, path, ['min', 'max']);
  if (o.min === undefined && o.max === undefined) check.fail(path, 'needs min, max or both');
  const range: { min?: number; max?: number } = {};
  if (o.min !== undefined) range.min = check.number(o.min, `${path}.min`, 0, max);
  if (o.max !== undefined) range.max = check.number(o.max, `${path}.max`, 0, max);
  if (range.min !== undefined && range.max !== undefined && range.min > range.max)
    check.fail(path, `min (${range.min}) is above max (${range.max}); the range would never match`);
  return range;
}

function parseWindow(value: unknown, path: string): TimeWindow {
  const o = check.object(value, path, ['from', 'to', 'days', 'utcOffsetMinutes', 'outside']);
  const clock = (key: 'from' | 'to') => {
    const minutes = typeof o[key] === 'string' ? parseClock(o[key] as string) : null;
    return minutes ?? check.fail(`${path}.${key}`, 'must be a time of day "HH:MM" (00:00..23:59)');
  };
  const window: { -readonly [K in keyof TimeWindow]: TimeWindow[K] } = {
    from: clock('from'),
    to: clock('to'),
    utcOffsetMinutes:
      o.utcOffsetMinutes === undefined
        ? 0
        : check.number(o.utcOffsetMinutes, `${path}.utcOffsetMinutes`, -840, 840, true),
    outside: o.outside === undefined ? false : check.boolean(o.outside, `${path}.outside`),
  };
  if (o.days !== undefined) window.days = check.someOf(o.days, `${path}.days`, WEEKDAYS);
  return window;
}

function parseVersion(value: unknown, path: string): VersionCondition {
  const o: Obj = check.object(value, path, ['in', 'below', 'atLeast']);
  if (o.in === undefined && o.below === undefined && o.atLeast === undefined)
    check.fail(path, 'needs in, below or atLeast');
  const v: { -readonly [K in keyof VersionCondition]: VersionCondition[K] } = {};
  if (o.in !== undefined) v.in = check.strings(o.in, `${path}.in`);
  if (o.below !== undefined) v.below = check.string(o.below, `${path}.below`);
  if (o.atLeast !== undefined) v.atLeast = check.string(o.atLeast, `${path}.atLeast`);
  return v;
}
