import { join } from 'node:path';
import { type Command, parseCommandLine, UsageError } from '../cli/command.js';
import { dockerClient } from '../docker/index.js';
import { ChaosEngine } from './engine.js';
import { ensureInjectorImage } from './injector-image.js';
import { INJECTOR_IMAGE } from './network.js';
import { DEFAULT_HOST, DEFAULT_PORT, serveChaos } from './server.js';

const help = `usage: aloft chaos serve [--host 127.0.0.1] [--port 2476] [--token T] [--state-dir DIR] [--seed N]

Runs the chaos engine and its Entropy-compatible HTTP API. THIS API CAN STOP, KILL AND PAUSE
CONTAINERS: it listens on loopback by default, and any other address needs --token.

  --host H            address to listen on (default 127.0.0.1)
  --port P            port (default 2476)
  --token T           require "Authorization: Bearer T" (also ALOFT_CHAOS_TOKEN)
  --state-dir DIR     state file and audit log (default $ALOFT_STATE_DIR/chaos or /var/tmp/aloft/chaos)
  --seed N            seed the engine's randomness (rolls, selection, helper) to replay a run
  --injector-image I  the sidecar image for the userspace path (default ${INJECTOR_IMAGE})
  --no-build          do not build the injector image at start

At start it restores anything a previous engine left behind (even after SIGKILL); on SIGTERM
or SIGINT it restores every injection before exiting. Needs root (nsenter, tc, iptables).
`;

export const serveCommand: Command = {
  name: 'aloft chaos serve',
  summary: 'run the chaos engine and its HTTP API',
  help,
  async run(argv) {
    const { values } = parseCommandLine(
      argv,
      {
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        'state-dir': { type: 'string' },
        seed: { type: 'string' },
        'injector-image': { type: 'string' },
        'no-build': { type: 'boolean' },
      },
      false,
    );
    const port = Number(values.port ?? DEFAULT_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port '${values.port}' is not a port number`);
    const seed = values.seed === undefined ? undefined : Number(values.seed);
    if (seed !== undefined && !Number.isInteger(seed))
      throw new UsageError(`--seed '${values.seed}' is not an integer`);
    const stateDir = values['state-dir'] ?? join(process.env.ALOFT_STATE_DIR ?? '/var/tmp/aloft', 'chaos');
    const image = values['injector-image'] ?? INJECTOR_IMAGE;
    const engine = new ChaosEngine({ docker: dockerClient(), stateDir, seed, injectorImage: image });
    // Restore first (a previous engine may have died with faults in place), then build.
    await engine.start();
    if (!values['no-build']) await ensureInjectorImage(image);
    const { server, url } = await serveChaos(engine, {
      host: values.host ?? DEFAULT_HOST,
      port,
      token: values.token ?? process.env.ALOFT_CHAOS_TOKEN,
    });
    process.stdout.write(`aloft chaos: listening on ${url} (seed ${engine.seed}, state ${stateDir})\n`);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`aloft chaos: ${sig}: restoring every injection\n`);
        server.close();
        server.closeAllConnections();
        await engine.stop();
        process.stdout.write('aloft chaos: restored, exiting\n');
        resolve(0);
      };
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
  },
};
