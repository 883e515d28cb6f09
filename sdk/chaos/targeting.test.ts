import { describe, expect, it } from 'vitest';
import { seededRng } from './random.js';
import { CHAOS_ROLE_LABEL, matchesCriteria, matchesPolicy, selectTargets } from './targeting.js';
import type { Target } from './types.js';

const t = (id: string, labels: Record<string, string> = {}, name = id, running = true): Target => ({
  id,
  name,
  labels,
  running,
});

describe('targeting', () => {
  it('needs every label of the criteria (K present, K=V equal)', () => {
    const labels = { service: 'PingGoogle', tier: 'edge' };
    expect(matchesCriteria(labels, ['service=PingGoogle', 'tier'])).toBe(true);
    expect(matchesCriteria(labels, ['service=PingGoogle', 'tier=core'])).toBe(false);
    expect(matchesCriteria(labels, ['zone'])).toBe(false);
    expect(matchesCriteria(labels, [])).toBe(true);
  });

  it('matches a name pattern, and never the engine, its helpers or stopped containers', () => {
    const policy = { criteria: ['app'], namePattern: '^web-\\d+$' };
    expect(matchesPolicy(t('1', { app: '' }, '/web-1'), policy)).toBe(true);
    expect(matchesPolicy(t('2', { app: '' }, 'db-1'), policy)).toBe(false);
    expect(matchesPolicy(t('3', { app: '', [CHAOS_ROLE_LABEL]: 'injector' }, 'web-3'), policy)).toBe(false);
    expect(matchesPolicy(t('4', { app: '' }, 'web-4', false), policy)).toBe(false);
    expect(matchesPolicy(t('abcdef', { app: '' }, 'web-5'), policy, 'abc')).toBe(false);
  });

  it('picks N at random or a percentage (rounded up), reproducibly with a seed', () => {
    const all = Array.from({ length: 10 }, (_, i) => t(`c${i}`));
    expect(selectTargets(all, { mode: 'all' }, seededRng(1))).toHaveLength(10);
    const three = selectTargets(all, { mode: 'count', count: 3 }, seededRng(42));
    expect(three).toHaveLength(3);
    expect(new Set(three.map((x) => x.id)).size).toBe(3);
    expect(selectTargets(all, { mode: 'count', count: 3 }, seededRng(42))).toEqual(three);
    expect(selectTargets(all, { mode: 'percent', percent: 25 }, seededRng(1))).toHaveLength(3);
    expect(selectTargets(all, { mode: 'count', count: 50 }, seededRng(1))).toHaveLength(10);
    expect(selectTargets([], { mode: 'count', count: 2 }, seededRng(1))).toEqual([]);
    // Every container gets picked over many rolls: the sample is not stuck on the first ids.
    const seen = new Set<string>();
    const rng = seededRng(7);
    for (let i = 0; i < 50; i++)
      for (const x of selectTargets(all, { mode: 'count', count: 1 }, rng)) seen.add(x.id);
    expect(seen.size).toBe(10);
  });
});
