import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { TransportError } from './errors.js';

/** 4 = MQTT 3.1.1 (aedes), 5 = MQTT 5 (Mosquitto); 'auto' tries 5 and falls back to 4. */
export type ProtocolChoice = 4 | 5 | 'auto';

export interface BrokerConnection {
  readonly client: MqttClient;
  readonly protocolVersion: 4 | 5;
  /** Whether the broker kept this client's session (and so queued its QoS 1 messages). */
  readonly sessionPresent: boolean;
}

export interface ConnectOptions extends Omit<IClientOptions, 'protocolVersion'> {
  mqttVersion?: ProtocolChoice;
  /** How long to wait for CONNACK, in ms (default 5000). */
  timeoutMs?: number;
}

/**
 * Connects and waits for CONNACK. With 'auto', a broker that refuses MQTT 5 (aedes closes the
 * socket on a v5 CONNECT) is retried once with 3.1.1: the caller learns which one it got and
 * picks features (shared subscriptions, session expiry) accordingly.
 */
export async function connectBroker(url: string, options: ConnectOptions = {}): Promise<BrokerConnection> {
  const { mqttVersion = 'auto', timeoutMs = 5000, ...rest } = options;
  if (mqttVersion !== 'auto') return connectOnce(url, mqttVersion, rest, timeoutMs);
  try {
    return await connectOnce(url, 5, rest, timeoutMs);
  } catch {
    return connectOnce(url, 4, rest, timeoutMs);
  }
}

function connectOnce(
  url: string,
  version: 4 | 5,
  opts: IClientOptions,
  timeoutMs: number,
): Promise<BrokerConnection> {
  const options: IClientOptions = {
    reconnectPeriod: 1000,
    ...opts,
    protocolVersion: version,
    connectTimeout: timeoutMs,
  };
  if (version === 4) delete options.properties; // v5-only (session expiry, ...)
  // A will's properties are also v5-only.
  if (version === 4 && options.will) options.will = { ...options.will, properties: undefined };
  return new Promise((resolve, reject) => {
    const client = connect(url, options);
    const fail = (why: string) => {
      clearTimeout(timer);
      client.removeAllListeners('connect');
      client.end(true);
      reject(
        new TransportError(
          'TRANSPORT_CONNECT',
          `cannot connect to ${url} with MQTT ${version === 5 ? '5' : '3.1.1'}: ${why}; is the broker running?`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`no CONNACK within ${timeoutMs} ms`), timeoutMs);
    // mqtt.js leaves Nagle on: a device's 4-byte PUBACKs then wait for the broker's delayed
    // ACK (40 ms on Linux), and the broker's inflight window stalls on them.
    client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    client.once('connect', (ack) => {
      clearTimeout(timer);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
      resolve({ client, protocolVersion: version, sessionPresent: ack.sessionPresent });
    });
    const onError = (e: Error) => fail(e.message);
    const onClose = () => fail('connection closed');
    client.once('error', onError);
    client.once('close', onClose);
  });
}
