import { describe, expect, it } from 'vitest';
import { cohortOf, compareVersions } from './index.js';

describe('compareVersions', () => {
  it.each([
    ['1.10.0', '1.9.9', 1],
    ['1.0', '1.0.0', 0],
    ['v2.1', '2.1.0', 0],
    ['1.2.0-rc1', '1.2.0', -1],
    ['1.2.0-rc1', '1.2.0-rc2', -1],
    ['1.2.0', '1.2.0-rc2', 1],
    ['2024.11.3', '2024.2.10', 1],
    ['1.a', '1.b', -1],
  ])('%s vs %s -> %d', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe(-want || 0);
  });
});

describe('cohortOf', () => {
  it('is stable, in 0..99, and spreads a fleet evenly', () => {
    expect(cohortOf('drone-7', 'v1.1')).toBe(cohortOf('drone-7', 'v1.1'));
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 5000; i++) {
      const c = cohortOf(`drone-${i}`, 'v1.1');
      expect(c >= 0 && c < 100 && Number.isInteger(c)).toBe(true);
      counts[Math.floor(c / 10)]++;
    }
    // Each tenth of the fleet holds 500 ± a generous margin (binomial sd is about 21).
    for (const n of counts) expect(Math.abs(n - 500)).toBeLessThan(120);
  });

  it('picks different canaries for different rollouts', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `d${i}`);
    const same = ids.filter((id) => cohortOf(id, 'a') === cohortOf(id, 'b')).length;
    expect(same).toBeLessThan(20);
  });
});
