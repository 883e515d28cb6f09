import { fstatSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type Command, parseCommandLine, UsageError } from '../../cli/command.js';
import { LocalBackend } from '../backends/local.js';
import { collect } from '../collect.js';
import { functionLabels } from '../labels.js';
import { parseBytes, parseCpus, parseDuration } from '../units.js';
import { envPairs, splitAtImage } from './split-argv.js';

const help = `usage: aloft fn run [OPTIONS] IMAGE [ARGS...]

Runs IMAGE with ARGS in a fresh container, like a function call: stdin goes in, stdout and
stderr come out as they are written, the container's exit code becomes this command's, and
the container is removed afterwards (also on timeout and Ctrl-C). As with \`docker run\`,
everything after IMAGE goes to the container.

Options:
  -e, --env KEY=VALUE     set an environment variable (repeatable; a bare KEY copies ours)
  -w, --workdir DIR       working directory inside the container
  -u, --user USER         user (name or uid[:gid])
      --entrypoint CMD    replace the image's entrypoint
      --network NET       none, bridge, host or a network name
  -v, --volume SRC:DST    bind mount (repeatable)
  -m, --memory SIZE       memory limit, e.g. 64m
      --cpus N            CPU limit, e.g. 0.5
      --timeout TIME      kill the container after TIME (e.g. 30s); exit 124
      --max-output SIZE   kill it once stdout passes SIZE (default 16m); exit 1
  -i, --interactive       pass stdin even from a terminal (a pipe, socket or file always is)

Example:
  aloft fn run aloft/fn-leftpad:1 foo 5
`;

const options = {
  env: { type: 'string', short: 'e', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
  entrypoint: { type: 'string' },
  network: { type: 'string' },
  volume: { type: 'string', short: 'v', multiple: true },
  memory: { type: 'string', short: 'm' },
  cpus: { type: 'string' },
  timeout: { type: 'string' },
  'max-output': { type: 'string' },
  interactive: { type: 'boolean', short: 'i' },
} as const;

const VALUED = new Set([
  'e',
  'env',
  'w',
  'workdir',
  'u',
  'user',
  'entrypoint',
  'network',
  'v',
  'volume',
  'm',
  'memory',
  'cpus',
  'timeout',
  'max-output',
]);

function stdinIsData(): boolean {
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isFile() || s.isSocket();
  } catch {
    return false;
  }
}

export const fnRunCommand: Command = {
  name: 'aloft fn run',
  summary: 'run an image like a function',
  help,
  async run(argv) {
    const split = splitAtImage(argv, VALUED);
    if (!split.image) throw new UsageError('no IMAGE given');
    const { values } = parseCommandLine(split.options, options, false);
    let env: Record<string, string>;
    try {
      env = envPairs(values.env, process.env);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const spec = {
      image: split.image,
      args: split.args,
      env,
      workdir: values.workdir,
      user: values.user,
      entrypoint: values.entrypoint !== undefined ? [values.entrypoint] : undefined,
      network: values.network,
      binds: values.volume,
      memoryBytes: values.memory ? parseBytes(values.memory, '--memory') : undefined,
      nanoCpus: values.cpus ? parseCpus(values.cpus) : undefined,
      labels: functionLabels('cli'),
    };
    const timeoutMs = values.timeout ? parseDuration(values.timeout, '--timeout') : undefined;
    const maxOutputBytes = parseBytes(values['max-output'] ?? '16m', '--max-output');
    const stdin =
      values.interactive || stdinIsData()
        ? (Readable.toWeb(process.stdin) as unknown as AsyncIterable<Uint8Array>)
        : undefined;
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const execution = await new LocalBackend().start(spec, stdin);
      execution.stderr.on('data', (c: Buffer) => process.stderr.write(c));
      const { exitCode } = await collect(execution, split.image, {
        timeoutMs,
        maxOutputBytes,
        signal: abort.signal,
        onStdout: (c) => {
          process.stdout.write(c);
        },
      });
      return exitCode;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'FN_TIMEOUT') {
        process.stderr.write(`aloft fn run: ${(e as Error).message}\n`);
        return 124;
      }
      if (code === 'FN_ABORTED') return 130;
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stdin.destroy();
    }
  },
};
