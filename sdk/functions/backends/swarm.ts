import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { dockerClient } from '../../docker/index.js';
import type { Backend, Execution, FunctionSpec, StdinSource } from '../backend.js';
import { FunctionError } from '../errors.js';
import { resolveArgv } from '../image-command.js';
import { FUNCTION_LABEL } from '../labels.js';
import { collectStdin } from './stdin.js';

/** Swarm configs hold at most 500 KB (moby's MaxConfigSize): larger stdin is refused. */
const MAX_SWARM_STDIN = 500 * 1024;
const STDIN_PATH = '/run/aloft-stdin';
const FINAL = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned']);

/** Splits the engine's multiplexed log stream (8-byte frame headers) into stdout and stderr. */
export function demuxLogs(buf: Buffer): { stdout: Buffer; stderr: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    const frame = buf.subarray(i + 8, i + 8 + size);
    (buf[i] === 2 ? err : out).push(frame);
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}

/**
 * Runs each call as a Docker Swarm replicated job (one task, no restart), so a gateway can
 * spread work over a swarm. Services have no stdin: a non-empty stdin travels as a Swarm config
 * mounted into the task and redirected by a /bin/sh prologue (so the image needs /bin/sh then).
 * Output is collected from the service's logs after the task ends: it arrives whole, not streamed.
 */
export class SwarmBackend implements Backend {
  readonly name = 'swarm';
  constructor(private readonly pollMs = 100) {}

  async start(spec: FunctionSpec, stdin?: StdinSource): Promise<Execution> {
    const docker = dockerClient();
    const id = randomBytes(6).toString('hex');
    const labels = { ...spec.labels, [FUNCTION_LABEL]: spec.labels?.[FUNCTION_LABEL] ?? 'run' };
    const input =
      stdin === undefined
        ? Buffer.alloc(0)
        : await collectStdin(stdin, MAX_SWARM_STDIN).catch(() => {
            throw new FunctionError(
              'FN_BAD_OPTION',
              `stdin for a Swarm task is limited to ${MAX_SWARM_STDIN} bytes: use the local backend for more`,
            );
          });
    let argv = await resolveArgv(spec);
    let configId: string | undefined;
    if (input.length > 0) {
      const config = await docker.createConfig({
        Name: `aloft-fn-${id}`,
        Labels: labels,
        Data: input.toString('base64'),
      });
      configId = (config as { id: string }).id;
      argv = ['/bin/sh', '-c', `exec "$@" < ${STDIN_PATH}`, 'aloft-stdin', ...argv];
    }
    let service: import('dockerode').Service;
    try {
      service = await docker.createService({
        Name: `aloft-fn-${id}`,
        Labels: labels,
        TaskTemplate: {
          ContainerSpec: {
            Image: spec.image,
            Command: argv,
            Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
            ...(spec.workdir ? { Dir: spec.workdir } : {}),
            ...(spec.user ? { User: spec.user } : {}),
            Labels: labels,
            ...(spec.binds
              ? {
                  Mounts: spec.binds.map((b) => {
                    const [source, target, mode] = b.split(':');
                    return { Type: 'bind', Source: source, Target: target, ReadOnly: mode === 'ro' };
                  }),
                }
              : {}),
            ...(configId
              ? {
                  Configs: [
                    {
                      File: { Name: STDIN_PATH, UID: '0', GID: '0', Mode: 0o444 },
                      ConfigID: configId,
                      ConfigName: `aloft-fn-${id}`,
                    },
                  ],
                }
              : {}),
          },
          Resources: {
            Limits: {
              ...(spec.memoryBytes ? { MemoryBytes: spec.memoryBytes } : {}),
              ...(spec.nanoCpus ? { NanoCPUs: spec.nanoCpus } : {}),
            },
          },
          RestartPolicy: { Condition: 'none', MaxAttempts: 0 },
          ...(spec.network && spec.network !== 'none' && spec.network !== 'bridge'
            ? { Networks: [{ Target: spec.network }] }
            : {}),
        },
        Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
      } as never);
    } catch (e) {
      if (configId)
        await docker
          .getConfig(configId)
          .remove({})
          .catch(() => undefined);
      throw new FunctionError(
        'FN_SWARM',
        `creating a Swarm job for ${spec.image} failed: ${(e as Error).message} (is this engine a swarm manager? docker swarm init)`,
      );
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let stopped = false;
    let disposed: Promise<void> | undefined;
    const dispose = () => {
      stopped = true;
      disposed ??= (async () => {
        await service.remove().catch(() => undefined);
        // The config stays in use until the task's container is gone: retry a few times.
        for (let i = 0; configId && i < 50; i++) {
          const ok = await docker
            .getConfig(configId)
            .remove({})
            .then(
              () => true,
              (e: { statusCode?: number }) => e.statusCode === 404,
            );
          if (ok) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      return disposed;
    };
    const exit = (async () => {
      for (;;) {
        if (stopped) throw new FunctionError('FN_ABORTED', 'the Swarm job was removed before it ended');
        const tasks = (await docker.listTasks({ filters: { service: [service.id] } })) as Array<{
          Status?: { State?: string; Err?: string; ContainerStatus?: { ExitCode?: number } };
        }>;
        const task = tasks.find((t) => FINAL.has(t.Status?.State ?? ''));
        if (task) {
          const state = task.Status?.State;
          if (state === 'rejected')
            throw new FunctionError(
              'FN_SWARM',
              `the Swarm rejected the task: ${task.Status?.Err ?? 'no reason given'}`,
            );
          const logs = (await service.logs({
            stdout: true,
            stderr: true,
            follow: false,
          })) as unknown as Buffer;
          const split = demuxLogs(Buffer.isBuffer(logs) ? logs : Buffer.from(logs));
          stdout.end(split.stdout);
          stderr.end(split.stderr);
          return task.Status?.ContainerStatus?.ExitCode ?? (state === 'complete' ? 0 : 1);
        }
        await new Promise((r) => setTimeout(r, this.pollMs));
      }
    })();
    exit.catch(() => {
      stdout.end();
      stderr.end();
    });
    return { stdout, stderr, exit, dispose };
  }

  async close(): Promise<void> {}
}
