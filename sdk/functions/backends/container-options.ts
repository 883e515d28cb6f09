import type { ContainerCreateOptions } from 'dockerode';
import type { FunctionSpec } from '../backend.js';

/** The engine's create request for one function container; stdin is opened only when fed. */
export function containerOptions(spec: FunctionSpec, withStdin: boolean): ContainerCreateOptions {
  const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return {
    Image: spec.image,
    ...(spec.args && spec.args.length > 0 ? { Cmd: spec.args } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    Env: env,
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    Labels: spec.labels ?? {},
    Tty: false,
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: withStdin,
    // StdinOnce: closing our end of the attach closes the container's stdin (EOF for the program).
    StdinOnce: withStdin,
    NetworkDisabled: spec.network === 'none',
    HostConfig: {
      ...(spec.network ? { NetworkMode: spec.network } : {}),
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
      ...(spec.binds ? { Binds: spec.binds } : {}),
      // Output is read over the attach stream; a log file per short-lived container is only
      // disk churn on the hot path.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
