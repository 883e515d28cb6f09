import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../project-root.js';

// Runs the built command (dist/, made by `npm run build`, which the test command runs first).
const root = projectRoot();
function aloft(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [join(root, 'bin', 'aloft.js'), ...args], (err, stdout, stderr) =>
      resolve({ status: err ? (err.code as number) : 0, stdout, stderr }),
    );
  });
}

describe('the aloft command', () => {
  it('prints its version from package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(await aloft('--version')).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('lists its commands with --help', async () => {
    const r = await aloft('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: aloft <command>/);
    expect(r.stdout).toContain('delta');
  });

  it('exits 2 with one line naming an unknown command', async () => {
    const r = await aloft('warp-drive');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("aloft: unknown command 'warp-drive'");
    expect(r.stdout).toBe('');
  });

  it('exits 2 when no command is given', async () => {
    const r = await aloft();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('aloft: no command given');
  });
});
