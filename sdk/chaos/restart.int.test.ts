import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './exec.js';
import { ensureInjectorImage } from './injector-image.js';
import {
  buildEngine,
  type EngineProcess,
  engineBuildDir,
  hasChain,
  helpers,
  inspect,
  medianRtt,
  postForm,
  removeTestContainers,
  spawnEngine,
  startTarget,
  waitFor,
} from './testing/harness.js';

// The engine as users run it: a separate process, driven over HTTP, killed the hard way.
const runId = `k${Date.now().toString(36)}`;
let main: string;
let stateDir: string;
const children: EngineProcess[] = [];

async function spawn(): Promise<EngineProcess> {
  const e = await spawnEngine(main, stateDir);
  children.push(e);
  return e;
}

async function injections(url: string): Promise<{ policy: string; target: { id: string } }[]> {
  return (await fetch(`${url}/injector/`)).json() as Promise<{ policy: string; target: { id: string } }[]>;
}

beforeAll(async () => {
  await removeTestContainers();
  await ensureInjectorImage();
  main = await buildEngine();
  stateDir = await mkdtemp(join(tmpdir(), 'aloft-chaos-kill-'));
});

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await removeTestContainers();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  await rm(engineBuildDir(), { recursive: true, force: true });
});

describe('the engine restores what it broke, however it ends', () => {
  it('SIGKILL mid-injection, restart: latency and pause are gone within seconds', async () => {
    const target = await startTarget({ [`kill9-${runId}`]: '' });
    const baseline = await medianRtt(target, 5);
    const first = await spawn();
    for (const [name, failure] of [
      ['slow', 'latency:200ms'],
      ['frozen', 'pause'],
    ]) {
      const res = await postForm(first.url, [
        ['name', name],
        ['criteria', `kill9-${runId}`],
        ['failures', failure],
        ['frequency', '3600'],
      ]);
      expect(res.status, await res.clone().text()).toBe(201);
    }
    expect(
      await waitFor(async () => (await injections(first.url)).length === 2, 60_000),
      `both injections active: ${first.output()}`,
    ).toBe(true);
    expect((await inspect(target)).State.Paused).toBe(true);
    expect(await hasChain(target)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    // Killed without a chance to clean up: the faults are still in place (what Pumba leaks).
    expect(await hasChain(target)).toBe(true);
    expect((await inspect(target)).State.Paused).toBe(true);
    expect(await helpers(target)).toBe(1);

    const restartedAt = Date.now();
    const second = await spawn();
    const clean = await waitFor(
      async () =>
        !(await hasChain(target)) && !(await inspect(target)).State.Paused && (await helpers(target)) === 0,
      30_000,
      100,
    );
    expect(clean, second.output()).toBe(true);
    console.info(
      `chaos: faults left by a SIGKILLed engine were gone ${Date.now() - restartedAt} ms after restart`,
    );
    expect(await medianRtt(target, 5)).toBeLessThan(baseline + 30);
    expect(await injections(second.url)).toEqual([]);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM restores every injection before the engine exits', async () => {
    const target = await startTarget({ [`term-${runId}`]: '' });
    const engine = await spawn();
    // Through `aloft chaos` itself, with Entropy's client flags (-H tcp://host:port).
    const host = `tcp://${new URL(engine.url).host}`;
    for (const [name, failure] of [
      ['t-slow', 'latency:100ms'],
      ['t-frozen', 'pause'],
    ]) {
      const r = await run(
        process.execPath,
        [
          main,
          'create',
          '-H',
          host,
          '--name',
          name,
          '--criteria',
          `term-${runId}`,
          '--failure',
          failure,
          '--frequency',
          '3600',
        ],
        30_000,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(name);
    }
    const ls = await run(process.execPath, [main, 'ls', '-H', host], 30_000);
    expect(ls.stdout).toMatch(/t-slow\s+aloft\/chaos-injector:1\s+term-/);
    expect(
      await waitFor(async () => (await injections(engine.url)).length === 2, 60_000),
      `both injections active: ${engine.output()}`,
    ).toBe(true);
    const lsi = await run(process.execPath, [main, 'lsi', '-H', host], 30_000);
    expect(lsi.stdout).toMatch(/t-frozen/);
    engine.child.kill('SIGTERM');
    expect(await engine.exited).toBe(0);
    expect(engine.output()).toContain('restored, exiting');
    expect((await inspect(target)).State.Paused).toBe(false);
    expect(await hasChain(target)).toBe(false);
    expect(await helpers(target)).toBe(0);
  });
});
