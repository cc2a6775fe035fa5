import net from 'node:net';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import { MAX_PAYLOAD_BYTES } from '../../contracts/mqtt.ts';
import { guardPacketSize, PACKET_HEADROOM_BYTES, publishRefusal } from './limits.ts';

export interface EmbeddedBroker {
  aedes: Aedes;
  /** The port it listens on: `requestedPort`, or the next free one when that was taken. */
  port: number;
  requestedPort: number;
  host: string;
  clientCount(): number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  /** When `port` is taken, try up to this many next ports (default 0: a taken port is an error). */
  portFallback?: number;
  /** The authenticate/authorize hooks (see ingest/credentials.ts); the broker's own rules run first. */
  aedes?: AedesOptions;
  /** A larger publish is refused (default: 256 KB, the ingest's dead-letter limit, MAX_PAYLOAD_BYTES). */
  maxPayloadBytes?: number;
  /** Told of every client or publish the broker refuses (the server logs it). */
  onRefused?: (refusal: { client: string | null; reason: string }) => void;
}

const EMPTY_CLIENT_ID = Symbol('fleetbook.emptyClientId');

/**
 * Starts aedes on a TCP port. The data API then talks to it through an ordinary MQTT
 * client, exactly as it talks to Mosquitto in production: one code path for both.
 *
 * Its own rules, before any credential check: a zero-length client id only with a clean
 * session (MQTT 3.1.1 [MQTT-3.1.3-7/8]), a payload limit, and `retain` only on `state`.
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const hooks = options.aedes ?? {};
  const maxPayloadBytes = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  const refused = (client: Client | null, reason: string) =>
    options.onRefused?.({ client: client?.id ?? null, reason });

  const aedes = await Aedes.createBroker({
    ...hooks,
    preConnect(client, packet, done) {
      (client as unknown as Record<symbol, boolean>)[EMPTY_CLIENT_ID] = packet.clientId === '';
      if (hooks.preConnect) hooks.preConnect(client, packet, done);
      else done(null, true);
    },
    authenticate(client, username, password, done) {
      if ((client as unknown as Record<symbol, boolean>)[EMPTY_CLIENT_ID] && !client.clean) {
        refused(null, 'a zero-length client id needs a clean session');
        const err = Object.assign(new Error('identifier rejected: a zero-length client id needs a clean session'), {
          returnCode: 2,
        });
        return done(err as AuthenticateError, false);
      }
      if (hooks.authenticate) hooks.authenticate(client, username, password, done);
      else done(null, true);
    },
    authorizePublish(client, packet, done) {
      // A will of a client already gone (client null) was checked when it connected.
      const why = client ? publishRefusal(packet, maxPayloadBytes) : null;
      if (why) {
        refused(client, why);
        return done(new Error(why));
      }
      if (hooks.authorizePublish) return hooks.authorizePublish(client, packet, done);
      done(packet.topic.startsWith('$SYS/') ? new Error('$SYS/ topics are the broker’s') : null);
    },
  });
  const maxPacketBytes = maxPayloadBytes + PACKET_HEADROOM_BYTES;
  const server = net.createServer((socket) => {
    aedes.handle(socket);
    guardPacketSize(socket, maxPacketBytes, (announced) =>
      refused(null, `a packet of ${announced} bytes from ${socket.remoteAddress} is above ${maxPacketBytes}`),
    );
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const last = options.port === 0 ? 0 : Math.min(65535, options.port + (options.portFallback ?? 0));
  for (let port = options.port; ; port++) {
    try {
      await listen(port);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port >= last) {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        throw err;
      }
    }
  }
  const address = server.address() as net.AddressInfo;
  return {
    aedes,
    port: address.port,
    requestedPort: options.port,
    host: options.host,
    clientCount: () => aedes.connectedClients,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
