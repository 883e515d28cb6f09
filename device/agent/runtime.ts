import type Docker from 'dockerode';
import { BRIDGE_MOUNT_DIR, BRIDGE_SOCKET_NAME } from '../../sdk/bridge-client/index.js';
import { dockerClient, LABEL_PREFIX } from '../../sdk/docker/index.js';
import { DeviceError } from '../errors.js';
import type { Release } from './types.js';

export interface RuntimeOptions {
  deviceId: string;
  app: string;
  docker?: Docker;
  /** Seconds between SIGTERM and SIGKILL when stopping a version. */
  stopGraceSeconds?: number;
}

export interface AppContainer {
  id: string;
  version: string;
  running: boolean;
  image: string;
}

export const DEVICE_LABEL = `${LABEL_PREFIX}device`;

/** Removes every container of one device's apps (tests and demos clean up with it). */
export async function removeDeviceContainers(deviceId: string): Promise<void> {
  const docker = dockerClient();
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${DEVICE_LABEL}=${deviceId}`] },
  });
  for (const c of list)
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
}
const APP_LABEL = `${LABEL_PREFIX}app`;
const VERSION_LABEL = `${LABEL_PREFIX}version`;

/**
 * The agent's adapter to the Docker Engine: one container per app version, named and labelled
 * so that facts can be gathered again after a crash (the engine is the source of truth for
 * what runs; the journal for what should).
 */
export class DockerRuntime {
  readonly docker: Docker;
  private readonly grace: number;

  constructor(private readonly opts: RuntimeOptions) {
    this.docker = opts.docker ?? dockerClient();
    this.grace = opts.stopGraceSeconds ?? 3;
  }

  containerName(version: string): string {
    return `aloft-${this.opts.deviceId}-${this.opts.app}-${version}`.replace(/[^a-zA-Z0-9_.-]/g, '_');
  }

  async list(): Promise<AppContainer[]> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${DEVICE_LABEL}=${this.opts.deviceId}`, `${APP_LABEL}=${this.opts.app}`] },
    });
    return list.map((c) => ({
      id: c.Id,
      version: c.Labels[VERSION_LABEL] ?? '?',
      running: c.State === 'running',
      image: c.Image,
    }));
  }

  async imagesPresent(refs: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const ref of refs) if (await this.imageLabels(ref)) out.push(ref);
    return out;
  }

  /** The image's labels, or undefined when the engine does not have it. */
  async imageLabels(ref: string): Promise<Record<string, string> | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return info.Config?.Labels ?? {};
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  /** Creates (if needed) and starts the version's container with its bridge folder mounted. */
  async start(release: Release, bridgeDir: string, env: Record<string, string> = {}): Promise<void> {
    const name = this.containerName(release.version);
    let container = this.docker.getContainer(name);
    let info = await container.inspect().catch(() => undefined);
    if (info && info.Config.Image !== release.image) {
      await container.remove({ force: true });
      info = undefined;
    }
    if (!info) {
      try {
        container = await this.docker.createContainer({
          name,
          Image: release.image,
          Labels: {
            [DEVICE_LABEL]: this.opts.deviceId,
            [APP_LABEL]: this.opts.app,
            [VERSION_LABEL]: release.version,
          },
          Env: [
            `ALOFT_BRIDGE_SOCKET=${BRIDGE_MOUNT_DIR}/${BRIDGE_SOCKET_NAME}`,
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
          ],
          HostConfig: {
            Binds: [`${bridgeDir}:${BRIDGE_MOUNT_DIR}`],
            // Apps reach the world only through the bridge: the agent owns the ground link.
            NetworkMode: 'none',
          },
        });
      } catch (e) {
        throw new DeviceError(
          'DEVICE_START_FAILED',
          `cannot create ${name} from ${release.image}: ${(e as Error).message}`,
        );
      }
    } else if (info.State.Running) return;
    try {
      await container.start();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 304)
        throw new DeviceError('DEVICE_START_FAILED', `cannot start ${name}: ${(e as Error).message}`);
    }
  }

  async stop(version: string): Promise<void> {
    try {
      await this.docker.getContainer(this.containerName(version)).stop({ t: this.grace });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw e;
    }
  }

  async remove(version: string): Promise<void> {
    try {
      await this.docker.getContainer(this.containerName(version)).remove({ force: true });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.docker.getImage(ref).remove({ force: true });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }

  /** Running state and exit code of a version's container (undefined: no such container). */
  async state(version: string): Promise<{ running: boolean; exitCode: number } | undefined> {
    try {
      const info = await this.docker.getContainer(this.containerName(version)).inspect();
      return { running: info.State.Running, exitCode: info.State.ExitCode };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }
}
