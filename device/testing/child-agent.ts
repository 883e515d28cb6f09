import { type ChildProcess, spawn } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildDir, bundleHostEntry } from '../../examples/drone/images.js';
import { projectRoot } from '../../sdk/project-root.js';
import type { AgentState } from '../agent/index.js';
import { RUN_ID } from './test-run.js';

/** The agent as its own process (`aloft device run --json`), so tests can kill -9 it. */
export interface ChildAgent {
  proc: ChildProcess;
  states: AgentState[];
  waitFor(pred: (s: AgentState) => boolean, timeoutMs?: number): Promise<AgentState>;
  kill9(): Promise<void>;
  /** Resolves with the signal that ended the process. */
  exited: Promise<NodeJS.Signals | null>;
  stop(): Promise<void>;
}

let bundled: Promise<string> | undefined;
/**
 * Bundles device/main.ts once per test process (packages stay external). Written under this
 * run's name and renamed into place: another run in the same clone may be starting agent.mjs.
 */
export function agentEntry(): Promise<string> {
  bundled ??= (async () => {
    const out = join(buildDir(), 'agent.mjs');
    const part = join(buildDir(), `agent.${RUN_ID}.mjs`);
    await bundleHostEntry(join(projectRoot(), 'device', 'main.ts'), part);
    await rename(part, out);
    return out;
  })();
  return bundled;
}

export async function spawnAgent(dataDir: string, deviceId: string, crashAt?: string): Promise<ChildAgent> {
  const proc = spawn(
    process.execPath,
    [await agentEntry(), 'run', '--data-dir', dataDir, '--id', deviceId, '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: crashAt ? { ...process.env, ALOFT_DEVICE_CRASH_AT: crashAt } : process.env,
    },
  );
  const states: AgentState[] = [];
  const waiters = new Set<() => void>();
  const exited = new Promise<NodeJS.Signals | null>((r) => proc.once('exit', (_code, signal) => r(signal)));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const s = JSON.parse(line) as AgentState;
      if (!s.deviceId) return;
      states.push(s);
      if (process.env.ALOFT_TEST_VERBOSE === '1')
        process.stderr.write(
          `[agent ${proc.pid}] ${s.state} v${s.version ?? '-'}->${s.target ?? '-'} ${JSON.stringify(s.detail ?? {})} ${JSON.stringify(s.leases)}\n`,
        );
      for (const w of waiters) w();
    } catch {
      // not a state line
    }
  });
  return {
    proc,
    states,
    exited,
    waitFor(pred, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < states.length; seen++) {
            if (pred(states[seen])) {
              done();
              resolve(states[seen]);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `child agent: awaited state not seen in ${timeoutMs} ms; last ${JSON.stringify(states.at(-1))}`,
            ),
          );
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`child agent exited (${proc.exitCode}) before the awaited state`));
        };
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off('exit', onExit);
        };
        proc.once('exit', onExit);
        waiters.add(check);
        check();
      });
    },
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
