import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Gateway, startGateway } from '../../sdk/functions/index.js';
import { ensureVotingImage, VOTING_IMAGE } from './image.js';

export interface VotingOptions {
  /** Host folder for the SQLite file (votes.db); made if missing. */
  dataDir: string;
  port?: number;
  /** Gateway name (label scope of its containers). */
  name?: string;
  /** Created containers kept per route (default 1). */
  warm?: number;
}

/**
 * The seed's serverless voting app, for real: a CGI gateway whose /vote and /result run a fresh
 * aloft/voting:1 container per request. /vote gets the engine's socket so it can start the
 * record-vote task with run(); both see the SQLite folder. Only the gateway and the database
 * file live long.
 */
export async function startVoting(options: VotingOptions): Promise<Gateway> {
  const data = resolve(options.dataDir);
  await mkdir(data, { recursive: true });
  await ensureVotingImage();
  const env = { VOTING_IMAGE, VOTING_DATA: data };
  return startGateway({
    name: options.name ?? 'voting',
    port: options.port ?? 8080,
    warm: options.warm ?? 1,
    timeoutMs: 60_000,
    routes: [
      { path: '/vote', image: VOTING_IMAGE, env, binds: ['/var/run/docker.sock:/var/run/docker.sock'] },
      { path: '/result', image: VOTING_IMAGE, env, binds: [`${data}:/data:ro`] },
    ],
  });
}

async function main(): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      data: { type: 'string', default: '/var/tmp/aloft/voting' },
    },
  });
  const g = await startVoting({ dataDir: values.data as string, port: Number(values.port) });
  process.stderr.write(`voting: open ${g.url}/vote (votes in ${values.data}/votes.db); Ctrl-C stops\n`);
  await new Promise<void>((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await g.close();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    process.stderr.write(`voting: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
