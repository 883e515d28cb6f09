import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** A running embedded broker: aedes (MQTT 3.1.1) on a loopback TCP port. */
export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts aedes on 127.0.0.1: the zero-setup broker for the demo and for tests. Port 0 (the
 * default) picks a free port. aedes speaks MQTT 3.1.1 only, so clients must not ask for v5.
 */
export async function startEmbeddedBroker(
  options: { port?: number; host?: string } = {},
): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        aedes.close();
      }),
  };
}
