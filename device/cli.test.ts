import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPolicyError } from '../sdk/policy/index.js';
import { deviceCommand } from './cli.js';

// Argument checks that must fail before the agent starts anything (no Docker needed).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aloft-device-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const run = (...args: string[]) => deviceCommand.run(['run', '--data-dir', dir, ...args]);

describe('aloft device run, before it starts', () => {
  it('names what --broker still needs', async () => {
    await expect(run('--broker', 'mqtt://127.0.0.1:1')).rejects.toThrow('--broker needs --fleet NAME');
    await expect(run('--broker', 'mqtt://127.0.0.1:1', '--fleet', 'f')).rejects.toThrow('--id ID');
    await expect(run('--broker', 'mqtt://127.0.0.1:1', '--fleet', 'f', '--id', 'd')).rejects.toThrow(
      '--trust PUBKEY',
    );
    await expect(run('--policy', 'p.json')).rejects.toThrow('need --broker URL');
  });

  it('refuses a missing or invalid policy file with the file or the bad rule named', async () => {
    const base = ['--broker', 'mqtt://127.0.0.1:1', '--fleet', 'f', '--id', 'd', '--trust', 'k.pub'];
    const missing = join(dir, 'nope.json');
    await expect(run(...base, '--policy', missing)).rejects.toThrow(`${missing}: no such file`);
    const bad = join(dir, 'bad.json');
    await writeFile(
      bad,
      JSON.stringify({
        version: 1,
        strategy: 'hand-over',
        otherwise: 'update',
        rules: [{ name: 'r', when: { battery: { max: 'low' } }, action: 'wait' }],
      }),
    );
    const err = await run(...base, '--policy', bad).catch((e) => e);
    expect(isPolicyError(err)).toBe(true);
    expect(err.message).toMatch(/rules\[0\].*battery/);
  });
});
