// A device as its own process, for the kill -9 test and the bench: configured by one JSON
// argument, it runs a DeviceReceiver and prints one JSON line per event on stdout.
import { fromHex, trustedKey } from '../../protocol/index.js';
import { DeviceReceiver } from '../receiver.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  fleet: string;
  device: string;
  dataDir: string;
  publicKeyHex: string;
  image: string;
  mqttVersion: 4 | 5;
  repairAfterMs?: number;
};
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const receiver: DeviceReceiver = new DeviceReceiver({
  url: config.url,
  fleet: config.fleet,
  device: config.device,
  dataDir: config.dataDir,
  keys: [trustedKey(fromHex(config.publicKeyHex))],
  initial: { seq: 0, image: config.image, version: 'v1' },
  mqttVersion: config.mqttVersion,
  repairAfterMs: config.repairAfterMs ?? 800,
  onPatchReady: (m, path): void => {
    say({ event: 'ready', seq: m.sequence, path, stats: receiver.stats });
  },
});
receiver.on('block', (index, fresh) => say({ event: 'block', index, fresh, have: receiver.state?.have }));
receiver.on('manifest', (m) => say({ event: 'manifest', seq: m.sequence }));
receiver.on('rejected', (e) => say({ event: 'rejected', code: e.code }));
receiver.on('repair-sent', (missing) => say({ event: 'repair', missing }));
await receiver.start();
say({ event: 'started', have: receiver.state?.have ?? 0 });
