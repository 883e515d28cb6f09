import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../docker/index.js';
import { LocalBackend } from './backends/local.js';
import { WarmPool } from './backends/warm-pool.js';
import { isFunctionError, isFunctionExitError } from './errors.js';
import { FUNCTION_LABEL, sweepFunctions } from './labels.js';
import { run, runText } from './run.js';
import { runStream } from './run-stream.js';
import { backendConformance } from './testing/conformance.js';
import { ensureFixtureImages, LEFTPAD_IMAGE, TEST_CGI_IMAGE } from './testing/fixture-images.js';

const SCOPE = `test.run.${process.pid}-${randomBytes(3).toString('hex')}`;

async function leftovers(): Promise<number> {
  const list = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${FUNCTION_LABEL}=${SCOPE}`] },
  });
  return list.length;
}

beforeAll(async () => {
  await ensureFixtureImages();
});

afterAll(async () => {
  await sweepFunctions({ scope: SCOPE });
});

describe('run() on the real engine', () => {
  it('runs a leftpad image like a function call', async () => {
    expect(await runText(LEFTPAD_IMAGE, ['foo', '5'], { scope: SCOPE })).toBe('  foo\n');
    expect(await runText(LEFTPAD_IMAGE, ['7', '3', '0'], { scope: SCOPE })).toBe('007\n');
  });

  it('honours workdir, user, entrypoint and network none', async () => {
    const out = await runText(TEST_CGI_IMAGE, ['-c', 'pwd; id -u; cat /sys/class/net/*/operstate | wc -l'], {
      scope: SCOPE,
      entrypoint: ['sh'],
      workdir: '/tmp',
      user: '65534',
      network: 'none',
      memoryBytes: 32 * 1024 * 1024,
      nanoCpus: 500_000_000,
    });
    // With --network none only the loopback interface exists.
    expect(out).toBe('/tmp\n65534\n1\n');
  });

  it('takes stdin as bytes', async () => {
    const bytes = Uint8Array.from([0, 255, 10, 13, 1]);
    expect(await run(TEST_CGI_IMAGE, ['cat'], { scope: SCOPE, stdin: bytes })).toEqual(Buffer.from(bytes));
  });

  it('kills and removes the container on timeout', async () => {
    const error = await run(TEST_CGI_IMAGE, ['sleep', '30'], { scope: SCOPE, timeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(isFunctionError(error) && error.code).toBe('FN_TIMEOUT');
    expect(await leftovers()).toBe(0);
  });

  it('kills and removes the container when the caller aborts', async () => {
    const abort = new AbortController();
    const pending = run(TEST_CGI_IMAGE, ['sleep', '30'], { scope: SCOPE, signal: abort.signal });
    setTimeout(() => abort.abort(), 800);
    const error = await pending.catch((e: unknown) => e);
    expect(isFunctionError(error) && error.code).toBe('FN_ABORTED');
    expect(await leftovers()).toBe(0);
  });

  it('stops a run that writes more than the output limit', async () => {
    const error = await run(TEST_CGI_IMAGE, ['sh', '-c', 'head -c 100000 /dev/zero'], {
      scope: SCOPE,
      maxOutputBytes: 1000,
    }).catch((e: unknown) => e);
    expect(isFunctionError(error) && error.code).toBe('FN_OUTPUT_LIMIT');
    expect(await leftovers()).toBe(0);
  });

  it('names a missing image and what to do', async () => {
    const error = await run('aloft/no-such-image:0', [], { scope: SCOPE }).catch((e: unknown) => e);
    expect(isFunctionError(error) && error.code).toBe('FN_IMAGE_MISSING');
    expect((error as Error).message).toMatch(/build or load it first/);
  });

  it('streams stdout as it comes, and throws the exit code at the end', async () => {
    const seen: string[] = [];
    const stream = runStream(TEST_CGI_IMAGE, ['sh', '-c', 'echo one; sleep 0.3; echo two; exit 4'], {
      scope: SCOPE,
    });
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.toString());
    })().catch((e: unknown) => e);
    expect(seen.join('')).toBe('one\ntwo\n');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(isFunctionExitError(error) && error.exitCode).toBe(4);
  });

  it('removes the container when a stream consumer leaves early', async () => {
    for await (const chunk of runStream(TEST_CGI_IMAGE, ['sh', '-c', 'echo first; sleep 30'], {
      scope: SCOPE,
    })) {
      expect(chunk.toString()).toBe('first\n');
      break;
    }
    expect(await leftovers()).toBe(0);
  });

  it('passes a large stdin stream through without loss', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const out = await runText(TEST_CGI_IMAGE, ['sh', '-c', 'wc -c'], {
      scope: SCOPE,
      stdin: Readable.from([big.subarray(0, 1e6), big.subarray(1e6)]),
    });
    expect(out.trim()).toBe(String(big.length));
  });
});

describe('backend conformance: fresh container per call', () => {
  const backend = new LocalBackend();
  backendConformance(() => backend, SCOPE);
});

describe('backend conformance: warm pool', () => {
  let pool: WarmPool;
  beforeAll(async () => {
    pool = new WarmPool(
      {
        image: TEST_CGI_IMAGE,
        args: ['sh', '-c', 'exec sh -c "$SCRIPT"'],
        labels: { [FUNCTION_LABEL]: SCOPE },
      },
      { size: 2 },
    );
    await pool.warmed();
  });
  afterAll(async () => {
    await pool.close();
    expect(await leftovers()).toBe(0);
  });
  // The pool's command is fixed when its containers are created, so the script travels in env.
  const viaEnv: import('./backend.js').Backend = {
    name: 'warm-env',
    start: (spec, stdin) => pool.start({ env: { ...spec.env, SCRIPT: (spec.args ?? [])[2] ?? '' } }, stdin),
    close: async () => {},
  };
  backendConformance(() => viaEnv, SCOPE);

  it('keeps containers created but not started until a call comes', async () => {
    expect(pool.ready).toBe(2);
    const list = await dockerClient().listContainers({
      all: true,
      filters: { label: [`${FUNCTION_LABEL}=${SCOPE}`] },
    });
    expect(list.map((c) => c.State).sort()).toEqual(['created', 'created']);
  });
});
