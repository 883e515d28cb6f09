import type { Rng } from './random.js';
import type { Policy, Selection, Target } from './types.js';

/** Labels that mark the engine and its helpers: never a target, whatever the criteria say. */
export const CHAOS_ROLE_LABEL = 'io.aloft.chaos.role';

/** True when a container carries every label of the criteria (K: present; K=V: equal). */
export function matchesCriteria(labels: Record<string, string>, criteria: readonly string[]): boolean {
  return criteria.every((c) => {
    const at = c.indexOf('=');
    if (at < 0) return Object.hasOwn(labels, c);
    return labels[c.slice(0, at)] === c.slice(at + 1);
  });
}

export function matchesPolicy(
  target: Target,
  policy: Pick<Policy, 'criteria' | 'namePattern'>,
  selfId?: string,
): boolean {
  if (!target.running) return false;
  if (Object.hasOwn(target.labels, CHAOS_ROLE_LABEL)) return false;
  if (selfId && (target.id === selfId || target.id.startsWith(selfId))) return false;
  if (!matchesCriteria(target.labels, policy.criteria)) return false;
  if (
    policy.namePattern !== undefined &&
    !new RegExp(policy.namePattern).test(target.name.replace(/^\//, ''))
  )
    return false;
  return true;
}

/** Chooses N at random, a percentage (rounded up, at least one when any match), or all. */
export function selectTargets(candidates: readonly Target[], selection: Selection, rng: Rng): Target[] {
  const sorted = [...candidates].sort((a, b) => a.id.localeCompare(b.id));
  let n = sorted.length;
  if (selection.mode === 'count') n = Math.min(selection.count, sorted.length);
  else if (selection.mode === 'percent')
    n = Math.min(sorted.length, Math.ceil((sorted.length * selection.percent) / 100));
  if (n === sorted.length) return sorted;
  // Partial Fisher-Yates: the first n entries are a uniform sample.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (sorted.length - i));
    [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
  }
  return sorted.slice(0, n);
}
