import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../sdk/docker/index.js';
import { FUNCTION_LABEL, type Gateway, sweepFunctions } from '../../sdk/functions/index.js';
import { http } from '../../sdk/functions/testing/http.js';
import { startVoting } from './serve.js';

// Needs dist/ (the voting image carries Aloft's compiled functions SDK): scripts/test.sh builds
// it before the tests run. Another run may share the engine: the gateway's name is this run's
// (pid, and random bytes because pids repeat), and the record-vote tasks, which the app labels
// with the scope "voting" whoever runs it, are told apart by their bind of this run's data dir.
const NAME = `voting-test-${process.pid}-${randomBytes(3).toString('hex')}`;
let data: string;
let g: Gateway;

/** This run's record-vote task containers: scope "voting", with this run's folder mounted. */
async function runTasks() {
  const tasks = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${FUNCTION_LABEL}=voting`] },
  });
  return tasks.filter((c) => c.Mounts?.some((m) => m.Source === data));
}

beforeAll(async () => {
  data = await mkdtemp(join(tmpdir(), 'aloft-votes-'));
  g = await startVoting({ dataDir: data, port: 0, name: NAME, warm: 0 });
});

afterAll(async () => {
  await g?.close();
  await sweepFunctions({ scope: `gateway.${NAME}` });
  // Not sweepFunctions({ scope: 'voting' }): that removes every run's tasks, mid-vote too.
  if (data) for (const c of await runTasks()) await dockerClient().getContainer(c.Id).remove({ force: true });
  await rm(data, { recursive: true, force: true });
});

describe('the voting example', () => {
  it('serves the ballot from a per-request container', async () => {
    const r = await http(`${g.url}/vote`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<button name="vote" value="cats">');
  });

  it('records each vote with a task container in SQLite and tallies them', async () => {
    for (const choice of ['cats', 'dogs', 'cats']) {
      const r = await http(`${g.url}/vote`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `vote=${choice}`,
      });
      expect(r.status).toBe(303);
      expect(r.headers.location).toBe('/result');
    }
    const bad = await http(`${g.url}/vote`, { method: 'POST', body: 'vote=hamsters' });
    expect(bad.status).toBe(400);
    const tally = await http(`${g.url}/result?format=json`);
    expect(JSON.parse(tally.body.toString())).toEqual({ cats: 2, dogs: 1 });
    // The database is a real SQLite file on the host.
    const rows = execFileSync(
      'sqlite3',
      [join(data, 'votes.db'), 'SELECT choice FROM votes ORDER BY rowid'],
      { encoding: 'utf8' },
    );
    expect(rows).toBe('cats\ndogs\ncats\n');
    const html = await http(`${g.url}/result`);
    expect(html.body.toString()).toContain('<li>cats: 2</li>');
  });

  it('leaves no task container of this run behind', async () => {
    expect(await runTasks()).toEqual([]);
  });
});
