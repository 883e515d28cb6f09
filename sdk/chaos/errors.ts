export type ChaosErrorCode =
  | 'CHAOS_BAD_POLICY'
  | 'CHAOS_BAD_FAULT'
  | 'CHAOS_POLICY_EXISTS'
  | 'CHAOS_NO_SUCH_POLICY'
  | 'CHAOS_NETEM_UNAVAILABLE'
  | 'CHAOS_PATH_UNAVAILABLE'
  | 'CHAOS_FOREIGN_QDISC'
  | 'CHAOS_NETNS'
  | 'CHAOS_INJECTOR'
  | 'CHAOS_TOKEN_REQUIRED'
  | 'CHAOS_UNAUTHORIZED'
  | 'CHAOS_ENGINE_UNREACHABLE'
  | 'CHAOS_API';

/** A failure of the chaos engine, with a code a caller can branch on and a message saying what to do. */
export class ChaosError extends Error {
  override name = 'ChaosError';
  constructor(
    readonly code: ChaosErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isChaosError = (e: unknown): e is ChaosError => e instanceof ChaosError;
