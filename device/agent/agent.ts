import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../../sdk/cli/errors.js';
import { BridgeServer, type Resource } from '../bridge/index.js';
import { type ExecContext, executors } from './executors.js';
import { defaultImageSources, type ImageSource } from './image-source.js';
import { readJournal, writeFileAtomic, writeJournal } from './journal.js';
import { resolveSettings } from './labels.js';
import { leaseHolders, onStepFailure, plan } from './planner.js';
import { DockerRuntime } from './runtime.js';
import type { Step } from './steps.js';
import type { Facts, ImageSourceSpec, Journal, Release, UpdateRecord, UpdateRequest } from './types.js';

export interface AgentOptions {
  dataDir: string;
  deviceId: string;
  /** One app per agent for now: the drone. */
  app?: string;
  resources: Resource[];
  runtime?: DockerRuntime;
  imageSources?: Partial<Record<ImageSourceSpec['kind'], ImageSource>>;
  /** Idle re-check period and polling period of waits; default 250 ms. */
  pollMs?: number;
}

/** What the agent reports (status.json, the 'state' event, and later the fleet's retained topic). */
export interface AgentState {
  state: string;
  deviceId: string;
  app: string;
  /** The version known good. */
  version?: string;
  target?: string;
  phase?: string;
  detail?: Record<string, unknown>;
  leases: Record<string, string>;
  last?: Journal['last'];
  at: number;
}

const REQUEST_FILE = 'request.json';
/** Test hook: `STATE` or `STATE@N` (the N-th report of STATE) SIGKILLs the agent right there. */
const crashAt = process.env.ALOFT_DEVICE_CRASH_AT;

/**
 * The device agent: owns the bridge (and through it the hardware), keeps the journal, and runs
 * the plan -> execute loop until the journal's target is reached. Containers are not its
 * children: if the agent dies they keep flying, and a new agent picks up from the journal and
 * the engine's facts.
 */
export class Agent extends EventEmitter {
  readonly bridge: BridgeServer;
  readonly runtime: DockerRuntime;
  readonly bootId = randomUUID();
  private journal!: Journal;
  private current: AgentState;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakeUp: () => void = () => {};
  private readonly sources: Record<ImageSourceSpec['kind'], ImageSource>;
  private readonly pollMs: number;
  private readonly app: string;

  private constructor(private readonly opts: AgentOptions) {
    super();
    this.app = opts.app ?? 'drone';
    this.bridge = new BridgeServer(opts.resources);
    this.runtime = opts.runtime ?? new DockerRuntime({ deviceId: opts.deviceId, app: this.app });
    this.sources = { ...defaultImageSources, ...opts.imageSources };
    this.pollMs = opts.pollMs ?? 250;
    this.current = { state: 'starting', deviceId: opts.deviceId, app: this.app, leases: {}, at: Date.now() };
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const agent = new Agent(opts);
    await agent.init();
    return agent;
  }

  /** Queues an update (durably: it survives a restart before the agent picks it up). */
  async submit(request: UpdateRequest): Promise<void> {
    await writeFileAtomic(join(this.opts.dataDir, REQUEST_FILE), JSON.stringify(request));
    this.wakeUp();
  }

  status(): AgentState {
    return { ...this.current, leases: this.bridge.leases.snapshot() };
  }

  /** Update locks the apps hold now (their reasons), for the policy's `locks` fact. */
  locks(): string[] {
    const v = this.journal.current?.version;
    const lock = v ? this.bridge.lockOf(v) : undefined;
    return lock ? [lock.reason] : [];
  }

  journalSnapshot(): Journal {
    return structuredClone(this.journal);
  }

  /** Resolves with the first state matching `pred` (checked now and on every report). */
  waitFor(pred: (s: AgentState) => boolean, timeoutMs = 60_000): Promise<AgentState> {
    return new Promise((resolve, reject) => {
      const check = (s: AgentState) => {
        if (!pred(s)) return;
        cleanup();
        resolve(s);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `agent did not reach the awaited state in ${timeoutMs} ms; last: ${JSON.stringify(this.status())}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('state', check);
      };
      this.on('state', check);
      check(this.status());
    });
  }

  /** Stops the loop and closes the bridge; the app containers keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp();
    await this.loopDone;
    await this.bridge.close();
  }

  private async init(): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true });
    this.journal = (await readJournal(this.opts.dataDir)) ?? { format: 1, app: this.app };
    for (const ev of ['connect', 'disconnect', 'lock']) this.bridge.on(ev, () => this.wakeUp());
    this.bridge.on('lease', () => this.report(this.current.state, this.current.detail));
    // Who may hold leases first, then the sockets: an app reconnecting the instant its socket
    // reappears must find the journal's policy in force.
    this.applyPolicy();
    for (const r of [this.journal.current, this.journal.update?.request.release])
      if (r) await this.openSlot(r, false);
    this.loopDone = this.loop();
  }

  private slotDir(version: string): string {
    return join(this.opts.dataDir, 'b', version.replace(/[^a-zA-Z0-9_.-]/g, '_'));
  }

  private openSlot(release: Release, handover: boolean): Promise<string> {
    const dir = this.slotDir(release.version);
    return this.bridge
      .openSlot({ id: release.version, app: this.app, version: release.version, dir, handover })
      .then(() => dir);
  }

  private applyPolicy(): void {
    const p = leaseHolders(this.journal, this.bootId);
    this.bridge.setPolicy({ eligible: new Set(p.eligible), handoverTo: p.handoverTo });
  }

  private async save(): Promise<void> {
    await writeJournal(this.opts.dataDir, this.journal);
    this.applyPolicy();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.takeRequest();
        const facts = await this.gather();
        const steps = plan(this.journal, facts);
        if (steps.length === 0) {
          failures = 0;
          this.idle();
          await this.sleep(this.pollMs * 4);
          continue;
        }
        await this.runSteps(steps);
        failures = 0;
      } catch (e) {
        // Engine hiccups: back off, bounded, and try again from fresh facts.
        failures++;
        this.report('error', { message: (e as Error).message, code: errorCode(e) });
        await this.sleep(Math.min(5000, 200 * 2 ** Math.min(failures, 5)));
      }
    }
  }

  private async runSteps(steps: Step[]): Promise<void> {
    for (const step of steps) {
      if (this.stopped) return;
      if (step.action === 'phase' || step.action === 'finish') {
        await this.journalStep(step);
        continue;
      }
      try {
        await executors[step.action](step as never, this.context());
      } catch (e) {
        const message = (e as Error).message;
        this.report('step-failed', { action: step.action, message, code: errorCode(e) });
        const transitions = onStepFailure(this.journal, step, message);
        if (!transitions.length) throw e;
        for (const s of transitions)
          if (s.action === 'phase' || s.action === 'finish') await this.journalStep(s);
        return;
      }
    }
  }

  private async journalStep(step: Extract<Step, { action: 'phase' | 'finish' }>): Promise<void> {
    const u = this.journal.update;
    if (step.action === 'phase') {
      if (!u) return;
      Object.assign(u, step.patch ?? {}, { phase: step.phase, bootId: this.bootId });
      await this.save();
      this.report(
        step.phase === 'rollback' ? 'rolling-back' : step.phase,
        u.reason ? { reason: u.reason } : undefined,
      );
      return;
    }
    const keep = new Set([step.current?.version]);
    const dropped = [this.journal.current?.version, u?.request.release.version].filter(
      (v): v is string => !!v && !keep.has(v),
    );
    this.journal.current = step.current;
    this.journal.last = { ...step.outcome, at: Date.now() };
    delete this.journal.update;
    await this.save();
    for (const v of dropped) {
      await this.bridge.closeSlot(v);
      await rm(this.slotDir(v), { recursive: true, force: true });
    }
    this.report(
      step.outcome.result === 'updated' || step.outcome.result === 'installed' ? 'running' : 'failed',
      {
        ...step.outcome,
      },
    );
  }

  private context(): ExecContext {
    return {
      dataDir: this.opts.dataDir,
      runtime: this.runtime,
      bridge: this.bridge,
      imageSources: this.sources,
      openSlot: (r, h) => this.openSlot(r, h),
      patch: async (p: Partial<UpdateRecord>) => {
        if (!this.journal.update) return;
        Object.assign(this.journal.update, p);
        await this.save();
      },
      report: (s, d) => this.report(s, d),
      pollMs: this.pollMs,
    };
  }

  /** Takes a queued request into the journal, unless an update is already under way. */
  private async takeRequest(): Promise<void> {
    if (this.journal.update) return;
    const path = join(this.opts.dataDir, REQUEST_FILE);
    let request: UpdateRequest;
    try {
      request = JSON.parse(await readFile(path, 'utf8')) as UpdateRequest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') await rm(path, { force: true });
      return;
    }
    if (request.release?.version === this.journal.current?.version) {
      await rm(path, { force: true });
      return;
    }
    try {
      const labels = (await this.runtime.imageLabels(request.release.image)) ?? {};
      const settings = resolveSettings(request, labels);
      this.journal.update = {
        request,
        settings,
        phase: 'fetch',
        bootId: this.bootId,
        attempts: 0,
        required: [],
        startedAt: Date.now(),
      };
      await this.save();
      await this.openSlot(request.release, false);
      this.report('update-accepted', { target: request.release.version, ...settings });
    } catch (e) {
      this.journal.last = {
        version: request.release?.version ?? '?',
        result: 'failed',
        reason: (e as Error).message,
        at: Date.now(),
      };
      await this.save();
      this.report('failed', { reason: (e as Error).message });
    }
    await rm(path, { force: true });
  }

  private async gather(): Promise<Facts> {
    const containers = await this.runtime.list();
    const refs = [this.journal.current?.image, this.journal.update?.request.release.image].filter(
      (r): r is string => !!r,
    );
    return {
      containers: containers.map((c) => ({ version: c.version, running: c.running })),
      images: await this.runtime.imagesPresent(refs),
      bootId: this.bootId,
      now: Date.now(),
    };
  }

  private idle(): void {
    if (this.current.state === 'idle' || this.current.state === 'running') return;
    this.report(
      this.journal.current ? 'running' : 'idle',
      this.journal.last ? { last: this.journal.last } : undefined,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private statusWrite: Promise<void> = Promise.resolve();
  private crashCount = 0;

  private report(state: string, detail?: Record<string, unknown>): void {
    const u = this.journal?.update;
    this.current = {
      state,
      deviceId: this.opts.deviceId,
      app: this.app,
      version: this.journal?.current?.version,
      target: u?.request.release.version,
      phase: u?.phase,
      detail,
      leases: this.bridge.leases.snapshot(),
      last: this.journal?.last,
      at: Date.now(),
    };
    const snapshot = this.current;
    this.emit('state', snapshot);
    // Crash point for tests: a power cut at the exact moment this state begins.
    if (
      crashAt &&
      state === crashAt.split('@')[0] &&
      ++this.crashCount >= Number(crashAt.split('@')[1] ?? 1)
    ) {
      // stdout to a pipe is synchronous on Linux: the state line above is already out.
      process.kill(process.pid, 'SIGKILL');
    }
    // status.json is for people and tests: written whole (rename), not fsynced.
    const path = join(this.opts.dataDir, 'status.json');
    this.statusWrite = this.statusWrite
      .then(() => writeFile(`${path}.tmp`, JSON.stringify(snapshot)))
      .then(() => rename(`${path}.tmp`, path))
      .catch(() => {});
  }
}
