import { PolicyError, type PolicyErrorCode } from './errors.js';

// Tiny asserts in the noble style: each names the path it checks, so a bad policy fails with
// `rules[2].when.battery.min: must be a number 0..100` and nothing else to decode.

export type Obj = Record<string, unknown>;

export class Checker {
  constructor(readonly code: PolicyErrorCode) {}

  fail(path: string, problem: string): never {
    throw new PolicyError(this.code, path, problem);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
      this.fail(path, 'must be an object');
    for (const key of Object.keys(value))
      if (!allowed.includes(key))
        this.fail(path ? `${path}.${key}` : key, `unknown field; expected one of ${allowed.join(', ')}`);
    return value as Obj;
  }

  number(value: unknown, path: string, min: number, max: number, integer = false): number {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    )
      this.fail(path, `must be ${integer ? 'an integer' : 'a number'} ${min}..${max}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string');
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T))
      this.fail(path, `must be one of ${options.map((o) => `"${o}"`).join(', ')}`);
    return value as T;
  }

  /** A single value or a non-empty list of them; always returns a list. */
  someOf<T extends string>(value: unknown, path: string, options: readonly T[]): T[] {
    if (!Array.isArray(value)) return [this.oneOf(value, path, options)];
    if (value.length === 0) this.fail(path, 'must not be an empty list');
    return value.map((v, i) => this.oneOf(v, `${path}[${i}]`, options));
  }

  strings(value: unknown, path: string): string[] {
    if (!Array.isArray(value)) this.fail(path, 'must be a list of strings');
    return value.map((v, i) => this.string(v, `${path}[${i}]`));
  }
}
