import { Readable } from 'node:stream';
import { expect, it } from 'vitest';
import type { Backend } from '../backend.js';
import { isFunctionExitError } from '../errors.js';
import { run } from '../run.js';
import { TEST_CGI_IMAGE } from './fixture-images.js';

/**
 * The same test body for every backend (STYLE.md: one conformance suite per port): stdout,
 * stdin, env and exit codes must behave alike on a fresh container, a warm pool and a Swarm.
 * Pools are bound to one image, so every case runs TEST_CGI_IMAGE's shell with env switches.
 */
export function backendConformance(backend: () => Backend, scope: string): void {
  const sh = (
    script: string,
    extra: { stdin?: string | Uint8Array | Readable; env?: Record<string, string> } = {},
  ) => run(TEST_CGI_IMAGE, ['sh', '-c', script], { backend: backend(), scope, ...extra } as never);

  it('returns stdout', async () => {
    expect((await sh('echo "$((6*7)) out"')).toString()).toBe('42 out\n');
  });

  it('passes env', async () => {
    expect(
      (await sh('echo "$GREETING, $WHO"', { env: { GREETING: 'hello', WHO: 'drone' } })).toString(),
    ).toBe('hello, drone\n');
  });

  it('feeds stdin given whole or as a stream', async () => {
    expect((await sh('wc -c', { stdin: 'x'.repeat(1000) })).toString().trim()).toBe('1000');
    const stream = Readable.from([Buffer.from('one\n'), Buffer.from('two\n')]);
    expect((await sh('tac', { stdin: stream })).toString()).toBe('two\none\n');
  });

  it('rejects a non-zero exit with its code, stdout and stderr', async () => {
    const error = await sh('echo partial; echo broken >&2; exit 7').catch((e: unknown) => e);
    expect(isFunctionExitError(error)).toBe(true);
    if (!isFunctionExitError(error)) return;
    expect(error.exitCode).toBe(7);
    expect(error.stdout.toString()).toBe('partial\n');
    expect(error.stderr.toString()).toBe('broken\n');
    expect(error.message).toMatch(/exited with code 7: broken/);
  });
}
