import { FunctionError } from './errors.js';

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "64m", "512k", "1g" or a plain byte count, as `docker run --memory` reads them. */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?$/i.exec(text.trim());
  if (!m)
    throw new FunctionError(
      'FN_BAD_OPTION',
      `${what} '${text}' is not a size: use e.g. 64m, 512k or 1048576`,
    );
  return Math.floor(Number(m[1]) * (BYTE_UNITS[m[2].toLowerCase()] ?? 1));
}

const TIME_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "500ms", "2m"; a bare number means seconds, as in `docker stop -t`. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new FunctionError(
      'FN_BAD_OPTION',
      `${what} '${text}' is not a duration: use e.g. 30s, 500ms or 2m`,
    );
  return Math.round(Number(m[1]) * TIME_UNITS[m[2] ?? 's']);
}

/** "1.5" CPUs, as `docker run --cpus`, to the engine's NanoCpus. */
export function parseCpus(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new FunctionError('FN_BAD_OPTION', `--cpus '${text}' must be a positive number such as 0.5`);
  return Math.round(n * 1e9);
}
