import { describe, expect, it } from 'vitest';
import { parseBytes, parseCpus, parseDuration } from './units.js';

describe('units', () => {
  it('reads sizes, durations and CPUs as docker does', () => {
    expect(parseBytes('64m', 'x')).toBe(64 * 1024 * 1024);
    expect(parseBytes('512k', 'x')).toBe(512 * 1024);
    expect(parseBytes('100', 'x')).toBe(100);
    expect(parseDuration('30s', 'x')).toBe(30_000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration('2', 'x')).toBe(2000);
    expect(parseCpus('0.5')).toBe(500_000_000);
    expect(() => parseBytes('lots', '--memory')).toThrow(/--memory 'lots' is not a size/);
    expect(() => parseDuration('soon', '--timeout')).toThrow(/not a duration/);
  });
});
