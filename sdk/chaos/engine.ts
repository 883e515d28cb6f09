import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { DockerActuator } from './actuator.js';
import { AuditLog } from './audit.js';
import { ChaosError } from './errors.js';
import { describeFault } from './faults.js';
import { generateName } from './names.js';
import { NetworkInjector } from './network.js';
import { pathsFor } from './network-plan.js';
import { normalizePolicy } from './policy.js';
import { type KernelCapabilities, probeKernel } from './probe.js';
import { type Clock, type Rng, seededRng, systemClock } from './random.js';
import { reconcile } from './reconcile.js';
import { Scheduler, type TargetSource } from './scheduler.js';
import { StateStore } from './state.js';
import type { Policy, Target } from './types.js';

export const CHAOS_VERSION = '0.1.0';
/** Entropy's API version string, reported by GET /version beside Aloft's. */
export const ENTROPY_API_VERSION = '1';

export interface EngineOptions {
  docker: Docker;
  stateDir: string;
  seed?: number;
  clock?: Clock;
  /** Override the kernel probe (tests of the planner); the engine probes when absent. */
  capabilities?: KernelCapabilities;
  injectorImage?: string;
}

/** Lists containers for the scheduler. */
export function dockerTargets(docker: Docker): TargetSource {
  return {
    async list() {
      const list = await docker.listContainers({ all: true });
      return list.map(toTarget);
    },
  };
}

const toTarget = (c: Docker.ContainerInfo): Target => ({
  id: c.Id,
  name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
  labels: c.Labels ?? {},
  running: c.State === 'running',
});

/**
 * The chaos engine: probes the kernel, restores what a previous run left, then runs policies
 * with the scheduler and follows Docker events for containers started later.
 */
export class ChaosEngine {
  readonly audit: AuditLog;
  private scheduler?: Scheduler;
  private caps?: KernelCapabilities;
  private rng: Rng;
  private events?: NodeJS.ReadableStream;
  private stopped = false;
  readonly seed: number;

  constructor(private readonly o: EngineOptions) {
    this.seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.rng = seededRng(this.seed);
    this.audit = new AuditLog(join(o.stateDir, 'audit.jsonl'));
  }

  async start(): Promise<void> {
    const { docker } = this.o;
    const store = new StateStore(join(this.o.stateDir, 'state.json'));
    const state = await store.load();
    const network = new NetworkInjector(docker, this.o.injectorImage);
    // Restore before anything else: a previous engine may have died with faults in place.
    const restored = await reconcile(docker, network, state, (e) => this.audit.emit(e));
    await store.save(state);
    this.caps = this.o.capabilities ?? (await probeKernel());
    this.audit.emit({
      action: 'reconcile',
      result: 'info',
      detail: `start-up: restored ${restored} target(s) left by a previous run`,
    });
    const actuator = new DockerActuator(docker, network, this.caps, store, state, this.rng);
    this.scheduler = new Scheduler({
      clock: this.o.clock ?? systemClock,
      rng: this.rng,
      source: dockerTargets(docker),
      actuator,
      audit: (e) => this.audit.emit(e),
      // Run inside a container, the engine's hostname is its short id: never a target.
      ...(existsSync('/.dockerenv') ? { selfId: hostname() } : {}),
    });
    await this.followEvents();
  }

  info() {
    const caps = this.need(this.caps);
    return {
      version: CHAOS_VERSION,
      kernel: caps,
      paths: pathsFor(caps),
      seed: this.seed,
      policies: this.scheduler?.policies().length ?? 0,
    };
  }

  createPolicy(input: Record<string, unknown>): Policy {
    const s = this.need(this.scheduler);
    const policy = normalizePolicy(input, {
      name: () => generateName(this.rng, (n) => s.has(n)),
      now: () => new Date().toISOString(),
    });
    if (s.has(policy.name))
      throw new ChaosError(
        'CHAOS_POLICY_EXISTS',
        `policy '${policy.name}' exists: delete it first or pick another name`,
      );
    // A policy the kernel cannot serve fails now, not at its first roll.
    if (policy.path === 'netem' && !this.need(this.caps).netem)
      throw new ChaosError(
        'CHAOS_NETEM_UNAVAILABLE',
        `this kernel has no netem (${this.caps?.notes.netem ?? 'sch_netem missing'}): use path=auto or userspace`,
      );
    this.audit.emit({
      action: 'policy-created',
      policy: policy.name,
      parameters: { failures: policy.failures.map(describeFault), criteria: policy.criteria },
      result: 'info',
    });
    s.add(policy);
    return policy;
  }

  async deletePolicy(name: string): Promise<void> {
    const removed = await this.need(this.scheduler).remove(name);
    if (!removed)
      throw new ChaosError(
        'CHAOS_NO_SUCH_POLICY',
        `no policy named '${name}': list them with \`aloft chaos ls\``,
      );
    this.audit.emit({ action: 'policy-deleted', policy: name, result: 'info' });
  }

  policies(): Policy[] {
    return this.scheduler?.policies() ?? [];
  }

  injections() {
    return this.scheduler?.injections() ?? [];
  }

  idle(): Promise<void> {
    return this.scheduler?.idle() ?? Promise.resolve();
  }

  /** Restores everything and stops following events (SIGTERM, server close). */
  async stop(): Promise<void> {
    this.stopped = true;
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
    await this.scheduler?.stop();
    await this.audit.flush();
  }

  private need<T>(v: T | undefined): T {
    if (v === undefined) throw new ChaosError('CHAOS_API', 'the engine is not started yet');
    return v;
  }

  private async followEvents(): Promise<void> {
    const { docker } = this.o;
    const stream = (await docker.getEvents({
      filters: { type: ['container'], event: ['start', 'destroy'] },
    })) as NodeJS.ReadableStream;
    this.events = stream;
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.onEvent(line);
      }
    });
    stream.on('error', () => undefined);
    stream.on('end', () => {
      // The engine restarted or the connection dropped: follow again, gently.
      if (!this.stopped) setTimeout(() => void this.followEvents().catch(() => undefined), 1000).unref();
    });
  }

  private async onEvent(line: string): Promise<void> {
    let e: { status?: string; Action?: string; id?: string };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const action = e.Action ?? e.status;
    if (!e.id || !this.scheduler) return;
    if (action === 'destroy') this.scheduler.targetGone(e.id);
    if (action === 'start') {
      const [c] = await this.o.docker.listContainers({ all: true, filters: { id: [e.id] } }).catch(() => []);
      if (c) this.scheduler.targetStarted(toTarget(c));
    }
  }
}
