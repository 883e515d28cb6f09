import { type Command, parseCommandLine, UsageError } from '../../cli/command.js';
import type { Backend } from '../backend.js';
import { startGateway } from '../cgi/gateway.js';
import { parseRoute } from '../cgi/routes.js';
import { parseBytes, parseDuration } from '../units.js';
import { envPairs } from './split-argv.js';

const help = `usage: aloft fn serve --route /PATH=IMAGE [--route ...] [options]

A CGI/1.1 gateway (RFC 3875): every HTTP request runs a fresh container of its route's image,
with the request's meta-variables in the environment and the body on stdin; the program's
stdout is the response. Runs until Ctrl-C, then removes every container it made.

Options:
      --route /PATH=IMAGE     serve /PATH and /PATH/... from IMAGE (repeatable; the rest of the
                              path becomes PATH_INFO)
      --port N                port to listen on (default 8080; 0 picks one)
      --host ADDR             address to listen on (default 127.0.0.1)
      --name NAME             gateway name: labels its containers; leftovers of an earlier run
                              with the same name are swept at start (default "default")
      --timeout TIME          kill a program after TIME and answer 504 (default 30s)
      --max-in-flight N       answer 429 beyond N requests at once (default 32)
      --max-request SIZE      answer 413 for larger bodies (default 1m)
      --max-response SIZE     answer 502 for larger responses (default 8m)
  -m, --memory SIZE           memory per container (default 256m)
      --warm N                keep N containers per route created ahead of need (default 0)
      --network NET           network of the containers (default none)
  -v, --volume SRC:DST        bind mount into every container (repeatable)
  -e, --env KEY=VALUE         extra environment for every program (repeatable)
      --backend local|swarm   run containers on this engine or as Swarm tasks (default local)
      --pass-authorization    pass the Authorization header as HTTP_AUTHORIZATION

Example:
  aloft fn serve --port 8080 --route /vote=aloft/voting:1 --warm 2
`;

const options = {
  route: { type: 'string', multiple: true },
  port: { type: 'string' },
  host: { type: 'string' },
  name: { type: 'string' },
  timeout: { type: 'string' },
  'max-in-flight': { type: 'string' },
  'max-request': { type: 'string' },
  'max-response': { type: 'string' },
  memory: { type: 'string', short: 'm' },
  warm: { type: 'string' },
  network: { type: 'string' },
  volume: { type: 'string', short: 'v', multiple: true },
  env: { type: 'string', short: 'e', multiple: true },
  backend: { type: 'string' },
  'pass-authorization': { type: 'boolean' },
} as const;

function count(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${what} '${text}' must be a whole number`);
  return n;
}

export const fnServeCommand: Command = {
  name: 'aloft fn serve',
  summary: 'serve HTTP with a container per request (CGI/1.1)',
  help,
  async run(argv) {
    const { values } = parseCommandLine(argv, options, false);
    if (!values.route?.length) throw new UsageError('no --route given');
    let env: Record<string, string>;
    try {
      env = envPairs(values.env, process.env);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const routes = values.route.map((r) => ({ ...parseRoute(r), env, binds: values.volume }));
    let backend: Backend | undefined;
    if (values.backend === 'swarm') backend = new (await import('../backends/swarm.js')).SwarmBackend();
    else if (values.backend !== undefined && values.backend !== 'local')
      throw new UsageError(`--backend '${values.backend}' must be local or swarm`);
    const gateway = await startGateway({
      routes,
      port: count(values.port, '--port', 8080),
      host: values.host,
      name: values.name,
      timeoutMs: parseDuration(values.timeout ?? '30s', '--timeout'),
      maxInFlight: count(values['max-in-flight'], '--max-in-flight', 32),
      maxRequestBytes: parseBytes(values['max-request'] ?? '1m', '--max-request'),
      maxResponseBytes: parseBytes(values['max-response'] ?? '8m', '--max-response'),
      memoryBytes: parseBytes(values.memory ?? '256m', '--memory'),
      warm: count(values.warm, '--warm', 0),
      network: values.network,
      backend,
      passAuthorization: values['pass-authorization'],
    });
    process.stderr.write(
      `aloft fn serve: listening on ${gateway.url} (${routes.map((r) => `${r.path} -> ${r.image}`).join(', ')})\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    process.stderr.write('aloft fn serve: stopping; removing containers\n');
    await gateway.close();
    await backend?.close();
    return 0;
  },
};
