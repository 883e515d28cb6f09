import { ChaosError } from './errors.js';
import { normalizeFault } from './faults.js';
import type { NetworkPath, Policy, Selection } from './types.js';

/** The image Entropy's demo used; Aloft accepts any name and injects with its own helper. */
export const DEFAULT_POLICY_IMAGE = 'aloft/chaos-injector:1';

const bad = (why: string) => new ChaosError('CHAOS_BAD_POLICY', `policy: ${why}`);

// Entropy's client posts form fields (repeated keys become arrays); the JSON API sends the
// Policy shape. Keys are matched without regard to case, '-' or '_', so `Frequency`,
// `run_for` and `runFor` all work.
type Input = Record<string, unknown>;

function pick(input: Input, ...names: string[]): unknown {
  const wanted = new Set(names.map((n) => n.toLowerCase().replace(/[-_]/g, '')));
  for (const [k, v] of Object.entries(input)) if (wanted.has(k.toLowerCase().replace(/[-_]/g, ''))) return v;
  return undefined;
}

function list(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  return items
    .flatMap((x) => (typeof x === 'string' ? x.split(',') : [x]))
    .map((x) => String(x).trim())
    .filter(Boolean);
}

function num(v: unknown, field: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = typeof v === 'number' ? v : Number(Array.isArray(v) ? v[0] : String(v).replace(/s$/, ''));
  if (!Number.isFinite(n) || n < min || n > max)
    throw bad(`${field} '${String(v)}' must be a number from ${min} to ${max}`);
  return n;
}

function bool(v: unknown): boolean {
  if (Array.isArray(v)) v = v[0];
  return v === true || v === 'true' || v === '1' || v === 'yes' || v === 'on';
}

/** Validates a policy from the API (form or JSON) and fills Entropy's defaults. */
export function normalizePolicy(input: Input, defaults: { name: () => string; now: () => string }): Policy {
  const name = list(pick(input, 'name'))[0] ?? defaults.name();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name))
    throw bad(`name '${name}' must be letters, digits, '_', '.', '-' (at most 64)`);
  const criteria = list(pick(input, 'criteria', 'criterion', 'label', 'labels'));
  const namePattern = list(pick(input, 'namePattern', 'name-pattern', 'pattern'))[0];
  if (namePattern !== undefined) {
    try {
      new RegExp(namePattern);
    } catch {
      throw bad(`name pattern '${namePattern}' is not a regular expression`);
    }
  }
  if (criteria.length === 0 && namePattern === undefined)
    throw bad(
      'give criteria (a Docker label K or K=V) or a name pattern, so that not every container is a target',
    );
  const rawFailures = pick(input, 'failures', 'failure');
  const failureInputs = Array.isArray(rawFailures)
    ? rawFailures.flatMap((f) => (typeof f === 'string' ? list(f) : [f]))
    : list(rawFailures);
  if (failureInputs.length === 0) throw bad('give at least one failure, e.g. latency or kill');
  const failures = failureInputs.map(normalizeFault);
  const kinds = failures.map((f) => f.kind);
  if (new Set(kinds).size !== kinds.length)
    throw bad(`each failure kind may appear once (got ${kinds.join(', ')})`);
  const containerKinds = kinds.filter((k) => ['kill', 'stop', 'pause', 'restart'].includes(k));
  if (containerKinds.length > 1)
    throw bad(`at most one container failure per policy (got ${containerKinds.join(', ')})`);

  const count = pick(input, 'count', 'n');
  const pct = pick(input, 'percent', 'percentage');
  let selection: Selection = { mode: 'all' };
  if (count !== undefined && count !== '')
    selection = { mode: 'count', count: num(count, 'count', 1, 1, 100_000) };
  else if (pct !== undefined && pct !== '')
    selection = { mode: 'percent', percent: num(pct, 'percent', 100, 0, 100) };
  const path = (list(pick(input, 'path'))[0] ?? 'auto') as NetworkPath;
  if (!['auto', 'netem', 'userspace'].includes(path))
    throw bad(`path '${path}' must be auto, netem or userspace`);

  return {
    name,
    image: list(pick(input, 'image'))[0] ?? DEFAULT_POLICY_IMAGE,
    criteria,
    ...(namePattern !== undefined ? { namePattern } : {}),
    selection,
    failures,
    frequency: num(pick(input, 'frequency'), 'frequency', 10, 0.05, 86_400),
    probability: num(pick(input, 'probability'), 'probability', 1, 0, 1),
    duration: num(pick(input, 'duration'), 'duration', 0, 0, 86_400),
    jitter: num(pick(input, 'jitter', 'periodJitter'), 'jitter', 0, 0, 1),
    runFor: num(pick(input, 'runFor', 'run-for', 'total', 'totalRunTime'), 'run-for', 0, 0, 31_536_000),
    dryRun: bool(pick(input, 'dryRun', 'dry-run', 'dry')),
    path,
    createdAt: defaults.now(),
  };
}
