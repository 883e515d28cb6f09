import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../docker/index.js';
import { type Gateway, startGateway } from '../cgi/gateway.js';
import { FUNCTION_LABEL, sweepFunctions } from '../labels.js';
import { run } from '../run.js';
import { backendConformance } from '../testing/conformance.js';
import { ensureFixtureImages, TEST_CGI_IMAGE } from '../testing/fixture-images.js';
import { envOf, http } from '../testing/http.js';
import { SwarmBackend } from './swarm.js';

// A one-node swarm on this engine. The test makes one only when the engine is not in a swarm
// already, and leaves it afterwards only if it made it: the engine ends as it was found.
const SCOPE = `test.swarm.${process.pid}`;
let createdSwarm = false;
const backend = new SwarmBackend();

beforeAll(async () => {
  await ensureFixtureImages();
  const docker = dockerClient();
  const info = await docker.info();
  if (info.Swarm?.LocalNodeState !== 'active') {
    await docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
    createdSwarm = true;
  } else if (!info.Swarm?.ControlAvailable) {
    throw new Error('this engine is a swarm worker, not a manager: the Swarm backend test needs a manager');
  }
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
  if (createdSwarm) await docker.swarmLeave({ force: true });
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
