import { type Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { dockerClient } from '../../docker/index.js';
import type { Backend, Execution, FunctionSpec, StdinSource } from '../backend.js';
import { FunctionError } from '../errors.js';
import { containerOptions } from './container-options.js';
import { pumpStdin } from './stdin.js';

const ignore = () => undefined;

/**
 * Attaches to a created container, starts it and feeds stdin: the part of a function call that
 * a warm pool cannot do ahead of time. `prologue` goes to stdin before the caller's bytes.
 */
export async function attachAndStart(
  container: Docker.Container,
  stdin: StdinSource | undefined,
  prologue?: Uint8Array,
): Promise<Execution> {
  const docker = dockerClient();
  const withStdin = stdin !== undefined || prologue !== undefined;
  const stream = (await container.attach({
    stream: true,
    stdin: withStdin,
    stdout: true,
    stderr: true,
    hijack: withStdin,
  })) as Duplex;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    const end = () => {
      stdout.end();
      stderr.end();
      resolve();
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  });
  let disposed: Promise<void> | undefined;
  const dispose = () => {
    disposed ??= container
      .remove({ force: true })
      .catch(ignore)
      .then(() => {
        stream.destroy();
      });
    return disposed;
  };
  try {
    await container.start();
  } catch (e) {
    await dispose();
    throw new FunctionError('FN_START_FAILED', `starting a container failed: ${(e as Error).message}`);
  }
  if (withStdin) pumpStdin(stdin ?? '', stream, prologue).catch(ignore);
  const exit = (async () => {
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await ended;
    return StatusCode;
  })();
  exit.catch(ignore);
  return { stdout, stderr, exit, dispose };
}

/** A fresh container per call on the local engine: create, attach, start, wait, remove. */
export class LocalBackend implements Backend {
  readonly name = 'local';
  async start(spec: FunctionSpec, stdin?: StdinSource): Promise<Execution> {
    const container = await createContainer(spec, stdin !== undefined);
    return attachAndStart(container, stdin);
  }
  async close(): Promise<void> {}
}

export async function createContainer(spec: FunctionSpec, withStdin: boolean): Promise<Docker.Container> {
  try {
    return await dockerClient().createContainer(containerOptions(spec, withStdin));
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 404)
      throw new FunctionError(
        'FN_IMAGE_MISSING',
        `image ${spec.image} is not on this engine: build or load it first`,
      );
    throw new FunctionError(
      'FN_START_FAILED',
      `creating a container of ${spec.image} failed: ${(e as Error).message}`,
    );
  }
}
