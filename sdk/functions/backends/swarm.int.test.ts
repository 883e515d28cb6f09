import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../docker/index.js';
import { type Gateway, startGateway } from '../cgi/gateway.js';
import { FUNCTION_LABEL, sweepFunctions } from '../labels.js';
import { run } from '../run.js';
import { backendConformance } from '../testing/conformance.js';
import { ensureFixtureImages, TEST_CGI_IMAGE } from '../testing/fixture-images.js';
import { envOf, http } from '../testing/http.js';
import { SWARM_USER_LABEL, useSwarm } from '../testing/swarm-share.js';
import { SwarmBackend } from './swarm.js';

// A one-node swarm on this engine, shared with any other run's Swarm test (swarm-share.ts): a
// test makes one only when the engine is in none, and the last run out leaves it only if a test
// made it, so the engine ends as it was found and no run pulls the swarm from under another.
// The scope has random bytes beside the pid because pids repeat across pid namespaces.
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const SCOPE = `test.swarm.${RUN_ID}`;
let leaveSwarm: (() => Promise<void>) | undefined;
const backend = new SwarmBackend();

beforeAll(async () => {
  await ensureFixtureImages();
  leaveSwarm = await useSwarm(RUN_ID);
});

afterAll(async () => {
  await sweepFunctions({ scope: SCOPE });
  await sweepFunctions({ scope: `gateway.${SCOPE}` });
  const docker = dockerClient();
  // Services are gone; wait for swarm to remove their task containers before leaving.
  for (let i = 0; i < 100; i++) {
    const left = await docker.listContainers({ all: true, filters: { label: [FUNCTION_LABEL] } });
    if (!left.some((c) => String(c.Labels[FUNCTION_LABEL]).includes(SCOPE))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await leaveSwarm?.();
  const mine = await docker.listContainers({
    all: true,
    filters: { label: [`${SWARM_USER_LABEL}=${RUN_ID}`] },
  });
  expect(mine).toEqual([]);
});

describe('backend conformance: Swarm replicated jobs', () => {
  backendConformance(() => backend, SCOPE);

  it('leaves no service behind', async () => {
    const services = await dockerClient().listServices({
      filters: { label: [`${FUNCTION_LABEL}=${SCOPE}`] },
    });
    expect(services).toEqual([]);
  });
});

describe('CGI gateway on the Swarm backend', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({
      name: SCOPE,
      routes: [{ path: '/t', image: TEST_CGI_IMAGE }],
      backend,
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await g.close();
  });

  it('serves a request from a Swarm task, body and meta-variables included', async () => {
    const env = envOf((await http(`${g.url}/t/env?via=swarm`)).body);
    expect(env).toMatchObject({ GATEWAY_INTERFACE: 'CGI/1.1', QUERY_STRING: 'via=swarm', PATH_INFO: '/env' });
    const echo = await http(`${g.url}/t/echo`, { method: 'POST', body: 'through a config' });
    expect(echo.body.toString()).toBe('through a config');
  });

  it('runs a plain run() call as a Swarm task', async () => {
    expect((await run(TEST_CGI_IMAGE, ['echo', 'swarm'], { backend, scope: SCOPE })).toString()).toBe(
      'swarm\n',
    );
  });
});
