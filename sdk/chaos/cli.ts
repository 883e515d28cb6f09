import { type Command, parseCommandLine, UsageError } from '../cli/command.js';
import { serveCommand } from './cli-serve.js';
import { ChaosClient } from './client.js';
import { parseFault } from './faults.js';
import { ensureInjectorImage } from './injector-image.js';

const help = `usage: aloft chaos <serve|create|ls|lsi|rm|build-injector> [options]

Failure injection with Entropy's API and flags. THE API CAN STOP, KILL AND PAUSE CONTAINERS.

  serve                 run the engine and HTTP API (127.0.0.1:2476); see \`aloft chaos serve --help\`
  create [flags]        create a policy:
      --name N            policy name (default: a generated adjective_noun)
      --criteria K[=V]    Docker label a target must carry; repeat: all must match
      --name-pattern RE   regular expression on the container name
      --failure F         latency[:200ms | :100ms-300ms | :200ms~20ms], loss[:10%], partition,
                          reorder[:25%], duplicate[:5%], corrupt[:5%], bandwidth[:1mbit],
                          kill[:SIGTERM], stop, pause, restart; repeat to combine
      --frequency S       seconds between rolls (default 10)
      --probability P     chance of injecting at each roll, else clear (default 1)
      --image I           Entropy's injector image (accepted; Aloft uses its own helper)
      --duration S        seconds each injection lasts (default: until a roll clears it)
      --jitter F          vary each period by up to this fraction (0..1)
      --run-for S         end the policy and restore after S seconds
      --count N | --percent P   pick N targets at random, or a percentage, at each roll
      --path auto|netem|userspace   network-fault path (default auto: netem when the kernel has it)
      --dry-run           only log what would be done
  ls                    list policies
  lsi                   list active injections
  rm NAME...            delete policies (everything they injected is restored)
  build-injector        build the userspace injector image (gcc, libnetfilter-queue-dev)

Common: --engine URL (default $ALOFT_CHAOS_URL or http://127.0.0.1:2476) or Entropy's
-H tcp://HOST:PORT, --token T (or ALOFT_CHAOS_TOKEN), --json
`;

const common = {
  engine: { type: 'string' },
  // Entropy's client flag: -H tcp://host:port (":2476" means this machine).
  host: { type: 'string', short: 'H' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export const chaosCommand: Command = {
  name: 'aloft chaos',
  summary: 'failure injection (Entropy-compatible)',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (!sub) throw new UsageError('no sub-command given (serve, create, ls, lsi, rm)');
    if (sub === 'serve') {
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(serveCommand.help);
        return 0;
      }
      return serveCommand.run(rest);
    }
    if (sub === 'build-injector') {
      await ensureInjectorImage();
      process.stdout.write('aloft/chaos-injector:1 is ready\n');
      return 0;
    }
    if (sub === 'create') {
      const { values, positionals } = parseCommandLine(
        rest,
        {
          ...common,
          name: { type: 'string' },
          criteria: { type: 'string', multiple: true },
          'name-pattern': { type: 'string' },
          failure: { type: 'string', multiple: true },
          frequency: { type: 'string' },
          probability: { type: 'string' },
          image: { type: 'string' },
          duration: { type: 'string' },
          jitter: { type: 'string' },
          'run-for': { type: 'string' },
          count: { type: 'string' },
          percent: { type: 'string' },
          path: { type: 'string' },
          'dry-run': { type: 'boolean' },
        },
        false,
      );
      void positionals;
      if (!values.failure?.length) throw new UsageError('give at least one --failure');
      // Checked here too, so a typo fails with one line before any request is sent.
      for (const f of values.failure) for (const one of f.split(',')) parseFault(one);
      // Sent form-encoded, field by field, as Entropy's client does.
      const form = new URLSearchParams();
      const put = (k: string, v: string | undefined) => v !== undefined && form.append(k, v);
      put('name', values.name);
      for (const c of values.criteria ?? []) form.append('criteria', c);
      put('namePattern', values['name-pattern']);
      for (const f of values.failure) form.append('failures', f);
      put('frequency', values.frequency);
      put('probability', values.probability);
      put('image', values.image);
      put('duration', values.duration);
      put('jitter', values.jitter);
      put('runFor', values['run-for']);
      put('count', values.count);
      put('percent', values.percent);
      put('path', values.path);
      if (values['dry-run']) form.append('dryRun', 'true');
      const policy = (await client(values).request('POST', '/policy/', form)) as { name: string };
      process.stdout.write(values.json ? `${JSON.stringify(policy)}\n` : `${policy.name}\n`);
      return 0;
    }
    if (sub === 'ls' || sub === 'lsi') {
      const { values } = parseCommandLine(rest, common, false);
      const data = (await client(values).request('GET', sub === 'ls' ? '/policy/' : '/injector/')) as Record<
        string,
        unknown
      >[];
      if (values.json) process.stdout.write(`${JSON.stringify(data)}\n`);
      else if (sub === 'ls')
        process.stdout.write(
          pad([
            ['NAME', 'IMAGE', 'CRITERIA', 'FAILURES', 'FREQUENCY', 'PROBABILITY'],
            ...data.map((p) => [
              String(p.name),
              String(p.image),
              [...(p.criteria as string[]), ...(p.namePattern ? [`name~${p.namePattern}`] : [])].join(','),
              (p.failures as string[]).join(','),
              String(p.frequency),
              String(p.probability),
            ]),
          ]),
        );
      else
        process.stdout.write(
          pad([
            ['POLICY', 'CONTAINER', 'NAME', 'DRY-RUN'],
            ...data.map((i) => {
              const t = i.target as { id: string; name: string };
              return [String(i.policy), t.id, t.name, i.dryRun ? 'yes' : ''];
            }),
          ]),
        );
      return 0;
    }
    if (sub === 'rm') {
      const { values, positionals } = parseCommandLine(rest, common, true);
      if (positionals.length === 0) throw new UsageError('name the policies to delete');
      for (const name of positionals) {
        await client(values).request('DELETE', `/policy/${encodeURIComponent(name)}`);
        process.stdout.write(`${name}\n`);
      }
      return 0;
    }
    throw new UsageError(`unknown sub-command '${sub}'`);
  },
};

function client(v: { engine?: string; host?: string; token?: string }): ChaosClient {
  let url = v.engine;
  if (!url && v.host) {
    const hostPort = v.host.replace(/^tcp:\/\//, '');
    url = `http://${hostPort.startsWith(':') ? `127.0.0.1${hostPort}` : hostPort}`;
  }
  return new ChaosClient(url, v.token);
}
