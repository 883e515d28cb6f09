import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Command, parseCommandLine, UsageError } from '../sdk/cli/command.js';
import { type DeviceFacts, FLIGHT_STATES, parsePolicy } from '../sdk/policy/index.js';
import { writeFileAtomic } from './agent/journal.js';
import { isStrategy } from './agent/labels.js';
import { STRATEGIES, type UpdateRequest } from './agent/types.js';

type DeviceFactsFile = Pick<DeviceFacts, 'batteryPercent' | 'charging' | 'linkQuality' | 'flightState'>;

const help = `usage: aloft device <run|update|status> [options]

The on-device agent: owns the device's resources (flight controller, cameras, ground-station
link), lends each to one app container at a time over the bridge socket, and updates the app
with balena's strategies (download-then-kill, kill-then-download, delete-then-download,
hand-over), a health window and roll-back. Its state lives in a journal under --data-dir.

  aloft device run --data-dir DIR --id ID [--ground-port N] [--json]
                   [--broker URL --fleet NAME --trust PUBKEY... [--policy FILE] [--facts FILE]]
      Run the agent with the simulated drone hardware (examples/drone). Prints one line per
      state change (JSON with --json). Containers keep running when the agent stops.
      With --broker it also receives signed manifests and patch blocks for the fleet
      (aloft publish), asks the update policy before downloading and again before switching,
      applies the delta against the running image, and reports its state on the fleet's
      retained topic. --policy is a policy in JSON (the built-in default otherwise; see
      sdk/policy); --facts is a JSON file your telemetry keeps current, read at each question:
      {"batteryPercent": 80, "charging": false, "linkQuality": 60, "flightState": "flying"}
      (any field may be left out; the flight state defaults to what the flight controller sees).
      \`aloft device --broker URL --fleet NAME --id ID --data-dir DIR --trust PUBKEY\` is the same.
  aloft device update --data-dir DIR --version V (--image REF | --image-tar FILE [--rate BPS])
                      [--strategy S] [--handover-timeout MS] [--health-window MS] [--lock-timeout MS]
      Queue an update (or the first install) for the agent using DIR; S is one of
      ${STRATEGIES.join(', ')}. Without --strategy the image's labels decide
      (io.aloft.update.strategy, or balena's io.balena.update.strategy), else download-then-kill.
  aloft device status --data-dir DIR
      Print the agent's last reported state (JSON).
`;

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative number, got '${v}'`);
  return n;
};

const fileError = (path: string) => (e: NodeJS.ErrnoException) => {
  throw new UsageError(`${path}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
};

/**
 * The facts file is re-read at every question (the telemetry process rewrites it); an unreadable
 * or malformed file counts as "no facts", so the policy's defaults apply rather than a crash.
 */
function factsReader(path: string): () => Partial<DeviceFactsFile> {
  const fields = {
    batteryPercent: 'number',
    charging: 'boolean',
    linkQuality: 'number',
    flightState: 'string',
  };
  return () => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return {};
    }
    const out: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(fields)) if (typeof o?.[k] === t) out[k] = o[k];
    if (!FLIGHT_STATES.includes(out.flightState as DeviceFacts['flightState'])) delete out.flightState;
    return out as Partial<DeviceFactsFile>;
  };
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    'data-dir': { type: 'string' },
    id: { type: 'string' },
    'ground-port': { type: 'string' },
    json: { type: 'boolean' },
    broker: { type: 'string' },
    fleet: { type: 'string' },
    trust: { type: 'string', multiple: true },
    policy: { type: 'string' },
    facts: { type: 'string' },
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new UsageError('--data-dir is required');
  if (values.broker) {
    if (!values.fleet) throw new UsageError('--broker needs --fleet NAME');
    if (!values.id) throw new UsageError('--broker needs --id ID (the device name the fleet sees)');
    if (!values.trust?.length) throw new UsageError('--broker needs --trust PUBKEY (from aloft keygen)');
  } else if (values.policy || values.facts || values.fleet || values.trust)
    throw new UsageError('--fleet, --trust, --policy and --facts need --broker URL');
  // Read before anything starts: a bad policy is a one-line error, not a half-started agent.
  const policy = values.policy
    ? parsePolicy(await readFile(values.policy, 'utf8').catch(fileError(values.policy)))
    : undefined;
  const facts = values.facts ? factsReader(values.facts) : undefined;
  const [{ Agent }, { droneHardware }] = await Promise.all([
    import('./agent/agent.js'),
    import('../examples/drone/resources.js'),
  ]);
  const hw = droneHardware({ groundPort: num('ground-port', values['ground-port']) });
  const agent = await Agent.start({
    dataDir: resolve(dataDir),
    deviceId: values.id ?? 'device',
    resources: hw.all,
  });
  const link = values.broker
    ? await (await import('./agent/fleet-link.js')).startFleetLink({
        agent,
        url: values.broker,
        fleet: values.fleet!,
        deviceId: values.id!,
        trust: values.trust!,
        dataDir: resolve(dataDir),
        ...(policy ? { policy } : {}),
        ...(facts ? { facts } : {}),
        flightState: () =>
          (hw.flight.lastCommand()?.ageMs ?? Number.POSITIVE_INFINITY) < 500 ? 'flying' : 'landed',
      })
    : undefined;
  agent.on('state', (s) => {
    if (values.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    else
      process.stdout.write(
        `${new Date(s.at).toISOString()} ${s.state}${s.version ? ` v${s.version}` : ''}${s.target ? ` -> v${s.target}` : ''}${s.detail ? ` ${JSON.stringify(s.detail)}` : ''}\n`,
      );
  });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ state: 'agent-up', ground: await hw.ground.url(), pid: process.pid })}\n`
      : `agent up: ground station at ${await hw.ground.url()}\n`,
  );
  await new Promise<void>((done) => {
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  await link?.stop();
  await agent.stop();
  return 0;
}

async function update(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, {
    'data-dir': { type: 'string' },
    version: { type: 'string' },
    image: { type: 'string' },
    'image-tar': { type: 'string' },
    rate: { type: 'string' },
    strategy: { type: 'string' },
    'handover-timeout': { type: 'string' },
    'health-window': { type: 'string' },
    'lock-timeout': { type: 'string' },
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new UsageError('--data-dir is required');
  if (!values.version) throw new UsageError('--version is required');
  if (!values.image) throw new UsageError('--image is required (the reference the engine will know it by)');
  if (values.strategy && !isStrategy(values.strategy))
    throw new UsageError(`--strategy '${values.strategy}' is not one of ${STRATEGIES.join(', ')}`);
  const rate = num('rate', values.rate);
  const request: UpdateRequest = {
    release: { version: values.version, image: values.image },
    source: values['image-tar']
      ? { kind: 'tar', path: resolve(values['image-tar']), ...(rate ? { bytesPerSecond: rate } : {}) }
      : { kind: 'engine' },
  };
  if (values.strategy && isStrategy(values.strategy)) request.strategy = values.strategy;
  const h = num('handover-timeout', values['handover-timeout']);
  const w = num('health-window', values['health-window']);
  const l = num('lock-timeout', values['lock-timeout']);
  if (h !== undefined) request.handoverTimeoutMs = h;
  if (w !== undefined) request.healthWindowMs = w;
  if (l !== undefined) request.lockTimeoutMs = l;
  await writeFileAtomic(join(resolve(dataDir), 'request.json'), JSON.stringify(request));
  process.stdout.write(`queued v${values.version} for the agent in ${dataDir}\n`);
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, { 'data-dir': { type: 'string' } });
  if (!values['data-dir']) throw new UsageError('--data-dir is required');
  const path = join(resolve(values['data-dir']), 'status.json');
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(`no status in ${path}: has an agent run with this --data-dir?`);
  });
  process.stdout.write(`${text.trim()}\n`);
  return 0;
}

export const deviceCommand: Command = {
  name: 'aloft device',
  summary: 'run the on-device agent (bridge, strategies, hand-over, roll-back)',
  help,
  async run(argv) {
    const [sub, ...rest] = argv;
    // `aloft device --broker ...` (the issue's form) means `run`.
    if (sub === undefined || sub.startsWith('--')) return run(argv);
    if (sub === 'run') return run(rest);
    if (sub === 'update') return update(rest);
    if (sub === 'status') return status(rest);
    throw new UsageError(`unknown sub-command '${sub}': use run, update or status`);
  },
};
