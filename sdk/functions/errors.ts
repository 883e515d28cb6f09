export type FunctionErrorCode =
  | 'FN_EXIT_NONZERO'
  | 'FN_TIMEOUT'
  | 'FN_ABORTED'
  | 'FN_OUTPUT_LIMIT'
  | 'FN_IMAGE_MISSING'
  | 'FN_BAD_OPTION'
  | 'FN_START_FAILED'
  | 'FN_SWARM';

/** A function run that did not end with exit code 0, or could not run at all. */
export class FunctionError extends Error {
  override name = 'FunctionError';
  constructor(
    readonly code: FunctionErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The container ran and exited non-zero: its exit code and both outputs come with the error. */
export class FunctionExitError extends FunctionError {
  override name = 'FunctionExitError';
  constructor(
    readonly exitCode: number,
    readonly stdout: Buffer,
    readonly stderr: Buffer,
    image: string,
  ) {
    const tail = stderr.toString('utf8').trim().split('\n').slice(-1)[0] ?? '';
    super(
      'FN_EXIT_NONZERO',
      `${image} exited with code ${exitCode}${tail ? `: ${tail.slice(0, 200)}` : ''} (see error.stderr for the whole output)`,
    );
  }
}

export type CgiErrorCode = 'CGI_MALFORMED_RESPONSE' | 'CGI_BAD_ROUTE' | 'CGI_BAD_REQUEST';

/** A CGI program broke the response rules of RFC 3875 section 6, or a route/request is unusable. */
export class CgiError extends Error {
  override name = 'CgiError';
  constructor(
    readonly code: CgiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isFunctionError = (e: unknown): e is FunctionError => e instanceof FunctionError;
export const isFunctionExitError = (e: unknown): e is FunctionExitError => e instanceof FunctionExitError;
export const isCgiError = (e: unknown): e is CgiError => e instanceof CgiError;
