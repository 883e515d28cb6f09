import { execFile } from 'node:child_process';
import { ChaosError } from './errors.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** Runs a host command with a timeout (and optional stdin); resolves with its status instead of throwing. */
export function run(
  cmd: string,
  args: readonly string[],
  timeoutMs = 10_000,
  input?: string,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      const status = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 127
        : 0;
      resolve({
        stdout: String(stdout),
        stderr: String(stderr) || (err && status === 127 ? err.message : ''),
        status,
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/**
 * Runs a command in the network namespace of process `pid` (a container's init) with the host's
 * tc and iptables: nsenter from the host needs no tools inside the target image.
 */
export async function inNetns(
  pid: number,
  cmd: string,
  args: readonly string[],
  input?: string,
): Promise<ExecResult> {
  if (!(pid > 0))
    throw new ChaosError('CHAOS_NETNS', `no network namespace: the target is not running (pid ${pid})`);
  return run('nsenter', ['-t', String(pid), '-n', cmd, ...args], 10_000, input);
}

/** Like inNetns, but a non-zero status is an error naming the command and its output. */
export async function mustInNetns(
  pid: number,
  cmd: string,
  args: readonly string[],
  input?: string,
): Promise<string> {
  const r = await inNetns(pid, cmd, args, input);
  if (r.status !== 0)
    throw new ChaosError(
      'CHAOS_NETNS',
      `${cmd} ${args.join(' ')} failed in the target's namespace: ${r.stderr.trim() || `status ${r.status}`}`,
    );
  return r.stdout;
}
