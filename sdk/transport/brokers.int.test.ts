import { connect, type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedBroker, mosquittoUrl, startEmbeddedBroker } from './index.js';

// One body, two brokers: the embedded aedes (MQTT 3.1.1) and Mosquitto (MQTT 5).
let aedes: EmbeddedBroker;
beforeAll(async () => {
  aedes = await startEmbeddedBroker();
});
afterAll(async () => {
  await aedes?.close();
});

const brokers: Array<[string, () => string, IClientOptions['protocolVersion']]> = [
  ['aedes (embedded, MQTT 3.1.1)', () => aedes.url, 4],
  ['mosquitto (MQTT 5)', mosquittoUrl, 5],
];

describe.each(brokers)('%s', (_name, url, protocolVersion) => {
  it('delivers a published message to a subscriber, and a retained one to a late subscriber', async () => {
    const topic = `aloft/test/${Math.random().toString(36).slice(2)}`;
    const opts: IClientOptions = { protocolVersion, reconnectPeriod: 0, connectTimeout: 5000 };
    const sub = await connectAsync(url(), opts);
    const pub = await connectAsync(url(), opts);
    try {
      await sub.subscribeAsync(`${topic}/live`, { qos: 1 });
      const got = new Promise<Buffer>((resolve) => sub.on('message', (_t, payload) => resolve(payload)));
      await pub.publishAsync(`${topic}/live`, Buffer.from([0xa1, 0x61, 0x76, 0x01]), { qos: 1 });
      expect([...(await got)]).toEqual([0xa1, 0x61, 0x76, 0x01]);

      await pub.publishAsync(`${topic}/state`, 'running v1', { qos: 1, retain: true });
      const late = await connectAsync(url(), opts);
      try {
        const retained = new Promise<string>((resolve) =>
          late.on('message', (_t, p) => resolve(p.toString())),
        );
        await late.subscribeAsync(`${topic}/state`, { qos: 1 });
        expect(await retained).toBe('running v1');
        await pub.publishAsync(`${topic}/state`, '', { qos: 1, retain: true }); // clear it
      } finally {
        await late.endAsync();
      }
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });
});

function connectAsync(url: string, opts: IClientOptions) {
  return new Promise<import('mqtt').MqttClient>((resolve, reject) => {
    const c = connect(url, opts);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}
