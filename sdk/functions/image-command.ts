import { dockerClient } from '../docker/index.js';
import type { FunctionSpec } from './backend.js';
import { FunctionError } from './errors.js';

const cache = new Map<string, Promise<{ entrypoint: string[]; cmd: string[] }>>();

async function inspectCommand(image: string): Promise<{ entrypoint: string[]; cmd: string[] }> {
  try {
    const info = await dockerClient().getImage(image).inspect();
    const list = (v: string | string[] | undefined | null) => (typeof v === 'string' ? [v] : (v ?? []));
    return { entrypoint: list(info.Config?.Entrypoint), cmd: list(info.Config?.Cmd) };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404)
      throw new FunctionError(
        'FN_IMAGE_MISSING',
        `image ${image} is not on this engine: build or load it first`,
      );
    throw e;
  }
}

/**
 * The full argv a container of `spec` runs (ENTRYPOINT + CMD, after the spec's overrides). The
 * warm pool and the Swarm backend wrap it in a small shell prologue, so they must know it.
 */
export async function resolveArgv(spec: FunctionSpec): Promise<string[]> {
  let pending = cache.get(spec.image);
  if (!pending) {
    pending = inspectCommand(spec.image);
    cache.set(spec.image, pending);
    pending.catch(() => cache.delete(spec.image));
  }
  const image = await pending;
  const entrypoint = spec.entrypoint ?? image.entrypoint;
  // As in Docker: a new entrypoint drops the image's CMD unless args are given.
  const cmd = spec.args && spec.args.length > 0 ? spec.args : spec.entrypoint ? [] : image.cmd;
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0)
    throw new FunctionError(
      'FN_BAD_OPTION',
      `image ${spec.image} has no ENTRYPOINT or CMD: give args to run`,
    );
  return argv;
}

/** Forget cached image commands (after rebuilding an image under the same tag). */
export function forgetImageCommands(): void {
  cache.clear();
}
