import type Docker from 'dockerode';
import type { Backend, Execution, FunctionSpec, StdinSource } from '../backend.js';
import { encodeEnvBlock } from '../cgi/meta-variables.js';
import { resolveArgv } from '../image-command.js';
import { attachAndStart, createContainer } from './local.js';

/**
 * The prologue every pooled container runs: the per-request environment cannot be set at
 * create time (the container exists before the request), so it arrives first on stdin, one
 * NAME=value a line up to an empty line; `read` takes one byte at a time from a pipe, so the
 * body that follows is left intact for the program.
 */
export const ENV_PROLOGUE = 'while IFS= read -r l && [ -n "$l" ]; do export "$l"; done; exec "$@"';

export interface WarmPoolOptions {
  /** Containers kept created (not started) ahead of need. */
  size: number;
  onError?: (e: Error) => void;
}

/**
 * Containers of one image, created ahead of need and started only for the request they serve,
 * so a call pays attach and start but not create. The image needs /bin/sh (for the prologue).
 * As a Backend, `start(spec)` uses only `spec.env` (added to the pool's own env).
 */
export class WarmPool implements Backend {
  readonly name = 'warm';
  private readonly idle: Docker.Container[] = [];
  private creating = 0;
  private closed = false;
  private failing = false;
  private readonly template: Promise<FunctionSpec>;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: WarmPoolOptions,
  ) {
    this.template = resolveArgv(spec).then((argv) => ({
      ...spec,
      entrypoint: ['/bin/sh', '-c', ENV_PROLOGUE, 'aloft-warm'],
      args: argv,
    }));
    this.template.catch((e) => this.options.onError?.(e as Error));
    this.fill();
  }

  /** Containers ready to start right now. */
  get ready(): number {
    return this.idle.length;
  }

  private fill(): void {
    while (!this.closed && !this.failing && this.idle.length + this.creating < this.options.size) {
      this.creating++;
      this.template
        .then((t) => createContainer(t, true))
        .then(
          (c) => {
            this.creating--;
            if (this.closed) c.remove({ force: true }).catch(() => undefined);
            else this.idle.push(c);
          },
          (e: Error) => {
            this.creating--;
            // Stop refilling until the next request: a missing image must not spin a loop.
            this.failing = true;
            this.options.onError?.(e);
          },
        );
    }
  }

  /** Resolves once the pool holds `size` created containers (for benchmarks and tests). */
  async warmed(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    await this.template;
    while (this.idle.length < this.options.size && Date.now() < until && !this.closed)
      await new Promise((r) => setTimeout(r, 20));
  }

  async start(spec: Pick<FunctionSpec, 'env'>, stdin?: StdinSource): Promise<Execution> {
    this.failing = false;
    const template = await this.template;
    const container = this.idle.shift() ?? (await createContainer(template, true));
    this.fill();
    return attachAndStart(container, stdin ?? '', Buffer.from(encodeEnvBlock(spec.env ?? {})));
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((c) => c.remove({ force: true }).catch(() => undefined)));
    while (this.creating > 0) await new Promise((r) => setTimeout(r, 20));
  }
}
