import { encode } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, DEFAULT_POLICY_SOURCE, isPolicyError, MAX_RULES, parsePolicy } from './index.js';

const base = { version: 1, rules: [] as unknown[] };
const withRule = (rule: object, index = 0) => ({
  ...base,
  rules: [...Array.from({ length: index }, (_, i) => ({ name: `ok${i}`, action: 'wait' })), rule],
});

function errorOf(input: unknown): { code: string; path: string; message: string } {
  try {
    parsePolicy(input);
  } catch (e) {
    if (isPolicyError(e)) return { code: e.code, path: e.path, message: e.message };
    throw e;
  }
  throw new Error('parsePolicy accepted the input');
}

describe('parsePolicy', () => {
  it('fills in defaults and normalises single values to lists', () => {
    const p = parsePolicy(
      withRule({
        name: 'x',
        when: { flightState: 'flying', time: { from: '22:00', to: '06:30' } },
        action: 'wait',
      }),
    );
    expect(p.strategy).toBe('download-then-kill');
    expect(p.otherwise).toBe('update');
    expect(p.rules[0].when.flightState).toEqual(['flying']);
    expect(p.rules[0].when.time).toEqual({ from: 1320, to: 390, utcOffsetMinutes: 0, outside: false });
  });

  it('reads the same policy from an object, JSON text and CBOR bytes', () => {
    const fromObject = parsePolicy(DEFAULT_POLICY_SOURCE);
    expect(parsePolicy(JSON.stringify(DEFAULT_POLICY_SOURCE))).toEqual(fromObject);
    expect(parsePolicy(new Uint8Array(encode(DEFAULT_POLICY_SOURCE)))).toEqual(fromObject);
    expect(DEFAULT_POLICY).toEqual(fromObject);
  });

  it.each([
    [
      withRule({ name: 'low', when: { battery: { min: 'ten' } }, action: 'wait' }, 2),
      'rules[2].when.battery.min',
      'must be a number 0..100',
    ],
    [
      withRule({ name: 'low', when: { battery: { max: 101 } }, action: 'wait' }),
      'rules[0].when.battery.max',
      'must be a number 0..100',
    ],
    [
      withRule({ name: 'low', when: { battery: {} }, action: 'wait' }),
      'rules[0].when.battery',
      'needs min, max or both',
    ],
    [
      withRule({ name: 'r', when: { link: { min: 50, max: 10 } }, action: 'wait' }),
      'rules[0].when.link',
      'min (50) is above max (10)',
    ],
    [
      withRule({ name: 'r', when: { flightState: 'hovering' }, action: 'wait' }),
      'rules[0].when.flightState',
      'must be one of "landed", "armed", "flying"',
    ],
    [
      withRule({ name: 'r', when: { flightState: ['landed', 'up'] }, action: 'wait' }),
      'rules[0].when.flightState[1]',
      'must be one of',
    ],
    [
      withRule({ name: 'r', when: { time: { from: '25:00', to: '01:00' } }, action: 'wait' }),
      'rules[0].when.time.from',
      'must be a time of day "HH:MM"',
    ],
    [
      withRule({
        name: 'r',
        when: { time: { from: '01:00', to: '02:00', days: ['monday'] } },
        action: 'wait',
      }),
      'rules[0].when.time.days[0]',
      'must be one of "sun"',
    ],
    [
      withRule({
        name: 'r',
        when: { time: { from: '01:00', to: '02:00', utcOffsetMinutes: 1.5 } },
        action: 'wait',
      }),
      'rules[0].when.time.utcOffsetMinutes',
      'must be an integer -840..840',
    ],
    [
      withRule({ name: 'r', when: { canary: { percent: 120 } }, action: 'update' }),
      'rules[0].when.canary.percent',
      'must be a number 0..100',
    ],
    [
      withRule({ name: 'r', when: { cohort: { max: 100 } }, action: 'update' }),
      'rules[0].when.cohort.max',
      'must be a number 0..99',
    ],
    [
      withRule({ name: 'r', when: { locks: 'camera' }, action: 'wait' }),
      'rules[0].when.locks',
      'must be a list of strings',
    ],
    [
      withRule({ name: 'r', when: { currentVersion: {} }, action: 'wait' }),
      'rules[0].when.currentVersion',
      'needs in, below or atLeast',
    ],
    [
      withRule({ name: 'r', when: { altitude: 3 }, action: 'wait' }),
      'rules[0].when.altitude',
      'unknown field; expected one of phase, flightState',
    ],
    [
      withRule({ name: 'r', action: 'later' }),
      'rules[0].action',
      'must be one of "update", "wait", "refuse"',
    ],
    [
      withRule({ name: 'r', action: 'refuse', strategy: 'hand-over' }),
      'rules[0].strategy',
      'makes no sense on a rule that refuses',
    ],
    [
      withRule({ name: 'r', action: 'update', strategy: 'yolo' }),
      'rules[0].strategy',
      'must be one of "download-then-kill"',
    ],
    [withRule({ action: 'wait' }), 'rules[0].name', 'must be a non-empty string'],
    [withRule({ name: 'ok0', action: 'wait' }, 1), 'rules[1].name', '"ok0" is used by an earlier rule'],
    [{ ...base, version: 2 }, 'version', 'must be 1'],
    [{ ...base, otherwise: 'maybe' }, 'otherwise', 'must be one of'],
    [{ version: 1 }, 'rules', 'must be a list of rules'],
    [[], '', 'must be an object'],
  ])('points at the bad field: %#', (input, path, problem) => {
    const e = errorOf(input);
    expect(e.code).toBe('POLICY_INVALID');
    expect(e.path).toBe(path);
    expect(e.message).toContain(problem);
    expect(e.message.startsWith(path ? `${path}: ` : '')).toBe(true);
  });

  it('rejects text that is not JSON and bytes that are not CBOR, with a decode code', () => {
    expect(errorOf('{"version": 1,').code).toBe('POLICY_DECODE');
    expect(errorOf(new Uint8Array([0xff, 0x00])).code).toBe('POLICY_DECODE');
  });

  it('caps the number of rules', () => {
    const rules = Array.from({ length: MAX_RULES + 1 }, (_, i) => ({ name: `r${i}`, action: 'wait' }));
    expect(errorOf({ version: 1, rules }).path).toBe('rules');
  });
});
