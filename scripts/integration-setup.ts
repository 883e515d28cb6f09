import { connect } from 'mqtt';
import { ensureBaseImages, pingDocker } from '../sdk/docker/index.js';
import { mosquittoUrl } from '../sdk/transport/index.js';

// Integration tests need the real Docker Engine and Mosquitto. When either is missing the
// whole integration project fails here, saying what is missing and how to get it: it never
// skips. (ALOFT_SKIP_INTEGRATION=1 leaves the project out on a laptop; CI never sets it.)
export default async function setup(): Promise<void> {
  const problems: string[] = [];
  try {
    await pingDocker();
  } catch (e) {
    problems.push((e as Error).message);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const client = connect(mosquittoUrl(), {
        protocolVersion: 5,
        connectTimeout: 3000,
        reconnectPeriod: 0,
      });
      client.once('connect', () => client.end(true, {}, () => resolve()));
      client.once('error', (e) => {
        client.end(true);
        reject(e);
      });
    });
  } catch (e) {
    problems.push(
      `Mosquitto does not answer at ${mosquittoUrl()} (${(e as Error).message}): run scripts/services.sh`,
    );
  }
  if (problems.length) throw new Error(`integration tests cannot run:\n  ${problems.join('\n  ')}`);
  await ensureBaseImages();
}
