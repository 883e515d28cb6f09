import { execFile } from 'node:child_process';

/** Runs a command (docker, apt-get, dpkg-deb, ...) and resolves to its stdout. */
export function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; timeout?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      // The classic builder: one layer per COPY, no BuildKit cache mounts or attestations.
      {
        maxBuffer: 64 << 20,
        timeout: opts.timeout ?? 600_000,
        cwd: opts.cwd,
        env: { ...process.env, DOCKER_BUILDKIT: '0' },
      },
      (err, stdout, stderr) =>
        err
          ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`))
          : resolve(stdout),
    );
  });
}
