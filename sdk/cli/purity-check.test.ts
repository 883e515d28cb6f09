import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../project-root.js';

const script = join(projectRoot(), 'scripts', 'check-purity.mjs');
let tree: string;
afterEach(() => rmSync(tree, { recursive: true, force: true }));

function check(files: Record<string, string>): Promise<{ status: number; stderr: string }> {
  tree = mkdtempSync(join(tmpdir(), 'aloft-purity-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, name)), { recursive: true });
    writeFileSync(join(tree, name), text);
  }
  return new Promise((resolve) => {
    execFile('node', [script, '--root', tree], (err, _out, stderr) =>
      resolve({ status: err ? (err.code as number) : 0, stderr }),
    );
  });
}

describe('the pure-core check', () => {
  it('accepts relative imports inside the core and allowed pure packages', async () => {
    const r = await check({
      'delta/core/a.ts': "import { b } from './b.js';\nimport { sha256 } from '@noble/hashes/sha2.js';\n",
      'delta/core/b.ts': "import { decide } from '../../sdk/policy/x.js';\nexport const b = 1;\n",
      'sdk/policy/x.ts': 'export const decide = 1;\n',
    });
    expect(r).toEqual({ status: 0, stderr: '' });
  });

  it('names each node: import, escape from the core, impure package and clock read', async () => {
    const r = await check({
      'delta/core/a.ts': "import { readFile } from 'node:fs/promises';\n",
      'sdk/protocol/b.ts': "import { x } from '../transport/x.js';\nimport mqtt from 'mqtt';\n",
      'sdk/policy/c.ts': 'export const now = () => Date.now();\n',
      'delta/core/ok.test.ts': "import { readFile } from 'node:fs/promises';\n",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("delta/core/a.ts:1: imports 'node:fs/promises'");
    expect(r.stderr).toContain(
      'sdk/protocol/b.ts:1: imports ../transport/x.js, which is outside the pure core',
    );
    expect(r.stderr).toContain("sdk/protocol/b.ts:2: imports 'mqtt'");
    expect(r.stderr).toContain('sdk/policy/c.ts:1: uses Date.now(');
    expect(r.stderr).not.toContain('ok.test.ts');
    expect(r.stderr).toContain('4 problem(s)');
  });
});
