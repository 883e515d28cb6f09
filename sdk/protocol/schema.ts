import { ProtocolError } from './errors.js';

// Tiny schema checks in the style of noble's `abytes`/`anumber`: each returns the value typed,
// or throws PROTOCOL_MALFORMED naming the field. Decoded CBOR is `unknown` until it passes.

export type Fields = Record<string, unknown>;

const bad = (what: string, field: string, expected: string): never => {
  throw new ProtocolError('PROTOCOL_MALFORMED', `${what}: field '${field}' must be ${expected}`);
};

export function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    throw new ProtocolError('PROTOCOL_MALFORMED', `${what}: expected a CBOR map`);
  return value as Fields;
}

export function uint(o: Fields, field: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
    return bad(what, field, `an unsigned integer <= ${max}`);
  return v;
}

export function text(o: Fields, field: string, what: string, maxLength = 256, pattern?: RegExp): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength || (pattern && !pattern.test(v)))
    return bad(
      what,
      field,
      `a text string of 1..${maxLength} characters${pattern ? ` matching ${pattern}` : ''}`,
    );
  return v;
}

export function optionalText(o: Fields, field: string, what: string, maxLength = 256): string | undefined {
  return o[field] === undefined ? undefined : text(o, field, what, maxLength);
}

export function bytes(
  o: Fields,
  field: string,
  what: string,
  size: { exact?: number; max?: number } = {},
): Uint8Array {
  const v = o[field];
  if (!(v instanceof Uint8Array)) return bad(what, field, 'a byte string');
  if (size.exact !== undefined && v.length !== size.exact)
    return bad(what, field, `a byte string of ${size.exact} bytes`);
  if (size.max !== undefined && v.length > size.max)
    return bad(what, field, `a byte string of at most ${size.max} bytes`);
  return v;
}

export function array(o: Fields, field: string, what: string, maxItems: number): unknown[] {
  const v = o[field];
  if (!Array.isArray(v) || v.length > maxItems)
    return bad(what, field, `an array of at most ${maxItems} items`);
  return v;
}

export function oneOf<T extends string>(o: Fields, field: string, what: string, allowed: readonly T[]): T {
  const v = o[field];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    return bad(what, field, `one of ${allowed.join(', ')}`);
  return v as T;
}

/** `sha256:` followed by 64 lowercase hex digits: image IDs, DiffIDs, precursor digests. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** Fleet and device names: safe as one MQTT topic level (no +, #, / or $). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
