/** A command line the command cannot understand: printed with a hint, exit status 2. */
export class UsageError extends Error {
  readonly code = 'USAGE' as const;
  override name = 'UsageError';
}

export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;

/** Any error Aloft throws on purpose carries a string code such as DELTA_SOURCE_MISMATCH. */
export const errorCode = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
