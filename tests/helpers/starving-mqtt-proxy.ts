import net from 'node:net';

/**
 * A TCP proxy between fleetbook and its MQTT broker that starves one connection: on the FIRST
 * connection whose CONNECT names a client id starting with `clientIdPrefix`, it silently drops
 * every PUBLISH the broker sends to the client on a topic starting with `topicPrefix`, and
 * forwards everything else (CONNACK, SUBACK, PINGRESP, the `$SYS` counts). The broker keeps
 * the client connected and its SUBACK granted and delivers it nothing: what a lost `$share`
 * subscription or a wedged in-flight window looks like from the client. Later connections
 * pass everything. QoS 1 messages dropped this way stay unacknowledged at the broker, which
 * sends them again when the session is resumed.
 */
export interface StarvingProxy {
  port: number;
  /** Connections of `clientIdPrefix` seen so far. */
  connections(): number;
  /** PUBLISH packets dropped on the starved connection. */
  dropped(): number;
  close(): Promise<void>;
}

export async function startStarvingProxy(o: {
  brokerPort: number;
  clientIdPrefix: string;
  topicPrefix: string;
  /** Hold every later connection of `clientIdPrefix` this long before it reaches the broker (default 0). */
  reconnectDelayMs?: number;
}): Promise<StarvingProxy> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let dropped = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(o.brokerPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    let starve = false;
    // Client → broker: forwarded as is, once the CONNECT (the first packet) says who this is.
    let first: Buffer | null = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (first === null) return void upstream.write(chunk);
      first = Buffer.concat([first, chunk]);
      const clientId = connectClientId(first);
      if (clientId === undefined) return; // the CONNECT is not complete yet
      const held = first;
      first = null;
      let delay = 0;
      if (clientId?.startsWith(o.clientIdPrefix)) {
        connections++;
        starve = connections === 1;
        if (!starve) delay = o.reconnectDelayMs ?? 0;
      }
      if (delay) {
        client.pause();
        setTimeout(() => {
          upstream.write(held);
          client.resume();
        }, delay);
      } else upstream.write(held);
    });
    // Broker → client: packet by packet on the starved connection.
    let pending: Buffer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (!starve) return void client.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      const out: Buffer[] = [];
      for (;;) {
        const packet = nextPacket(pending);
        if (!packet) break;
        const bytes = pending.subarray(0, packet.length);
        pending = pending.subarray(packet.length);
        if (packet.type === 3 && publishTopic(bytes, packet.headerLength).startsWith(o.topicPrefix)) dropped++;
        else out.push(bytes);
      }
      if (out.length) client.write(Buffer.concat(out));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The packet at the start of `buf` (MQTT 3.1.1 §2.2: type, remaining length as a varint), or null when incomplete. */
function nextPacket(buf: Buffer): { type: number; headerLength: number; length: number } | null {
  let remaining = 0;
  for (let i = 1; i <= 4; i++) {
    if (i >= buf.length) return null;
    const b = buf[i]!;
    remaining += (b & 0x7f) * 128 ** (i - 1);
    if ((b & 0x80) === 0) {
      const headerLength = i + 1;
      return buf.length < headerLength + remaining
        ? null
        : { type: buf[0]! >> 4, headerLength, length: headerLength + remaining };
    }
  }
  throw new Error('malformed MQTT remaining length');
}

/** A PUBLISH's topic (§3.3.2.1: a two-byte length, then UTF-8). */
function publishTopic(packet: Buffer, headerLength: number): string {
  const n = packet.readUInt16BE(headerLength);
  return packet.toString('utf8', headerLength + 2, headerLength + 2 + n);
}

/**
 * The client id of the CONNECT at the start of `buf` (§3.1: protocol name, level, flags,
 * keepalive, then the client id); undefined while incomplete, null when it is no CONNECT.
 */
function connectClientId(buf: Buffer): string | null | undefined {
  const packet = nextPacket(buf);
  if (!packet) return undefined;
  if (packet.type !== 1) return null;
  let at = packet.headerLength;
  at += 2 + buf.readUInt16BE(at); // protocol name
  at += 1 + 1 + 2; // level, flags, keepalive
  const n = buf.readUInt16BE(at);
  return buf.toString('utf8', at + 2, at + 2 + n);
}
