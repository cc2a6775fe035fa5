import net from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

export interface EmbeddedBroker {
  aedes: Aedes;
  port: number;
  host: string;
  clientCount(): number;
  close(): Promise<void>;
}

/**
 * Starts aedes on a TCP port. The data API then talks to it through an ordinary MQTT
 * client, exactly as it talks to Mosquitto in production: one code path for both.
 */
export async function startEmbeddedBroker(options: { host: string; port: number; aedes?: AedesOptions }): Promise<EmbeddedBroker> {
  // `aedes` carries the authenticate/authorize hooks (see ingest/credentials.ts).
  const aedes = await Aedes.createBroker(options.aedes);
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  return {
    aedes,
    port: address.port,
    host: options.host,
    clientCount: () => aedes.connectedClients,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
