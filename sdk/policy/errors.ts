export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_FACTS_INVALID' | 'POLICY_DECODE';

/**
 * A policy or a set of facts that cannot be used. `path` points at the bad part, e.g.
 * `rules[2].when.battery.min`, and the message starts with it so one line says it all.
 */
export class PolicyError extends Error {
  override name = 'PolicyError';
  constructor(
    readonly code: PolicyErrorCode,
    readonly path: string,
    problem: string,
  ) {
    super(path ? `${path}: ${problem}` : problem);
  }
}

export const isPolicyError = (e: unknown): e is PolicyError => e instanceof PolicyError;
