import net from 'node:net';

/**
 * A load generator's MQTT 3.1.1 publisher: QoS 1 PUBLISH frames written straight to the
 * socket, PUBACKs counted. mqtt.js spends more CPU per publish than the consumers under test
 * spend per message, and on a two-core machine the publishers share the cores with the
 * broker, the database and the consumer: a cheap generator measures the consumer, not itself.
 */
export class RawPublisher {
  /** PUBLISHes sent and not yet acknowledged. */
  inFlight = 0;
  private nextId = 0;
  private frames: Buffer[] = [];
  private flushing = false;
  private input = Buffer.alloc(0);
  private ended = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly onAck: () => void,
  ) {}

  /** Connects (clean session, no keepalive) with the URL's user and password; resolves on CONNACK. */
  static connect(url: string, clientId: string, onAck: () => void): Promise<RawPublisher> {
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 1883), noDelay: true });
    const publisher = new RawPublisher(socket, onAck);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('connect', () =>
        socket.write(connectFrame(clientId, decodeURIComponent(u.username), decodeURIComponent(u.password))),
      );
      socket.on('data', (chunk: Buffer) => {
        const connack = publisher.read(chunk);
        if (connack === undefined) return;
        if (connack !== 0) reject(new Error(`CONNACK refused the connection: return code ${connack}`));
        else resolve(publisher);
      });
      socket.on('close', () => {
        if (!publisher.ended) reject(new Error('the broker closed the connection'));
      });
    });
  }

  /** Queues one QoS 1 PUBLISH; frames queued in one turn of the event loop go out in one write. */
  publish(topic: string, payload: string): void {
    this.nextId = (this.nextId % 0xffff) + 1;
    this.inFlight++;
    this.frames.push(publishFrame(topic, payload, this.nextId));
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => {
        this.flushing = false;
        const frames = this.frames;
        this.frames = [];
        this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
      });
    }
  }

  end(): Promise<void> {
    this.ended = true;
    return new Promise((resolve) => this.socket.end(Buffer.from([0xe0, 0]), () => resolve()));
  }

  /** Reads whole frames: PUBACKs are counted; returns CONNACK's return code when one arrives. */
  private read(chunk: Buffer): number | undefined {
    let buf = this.input.length ? Buffer.concat([this.input, chunk]) : chunk;
    let connack: number | undefined;
    let at = 0;
    for (;;) {
      const header = remainingLength(buf, at + 1);
      if (!header || at + 1 + header.bytes + header.length > buf.length) break;
      const type = buf[at]! >> 4;
      const body = at + 1 + header.bytes;
      if (type === 4) {
        this.inFlight--;
        this.onAck();
      } else if (type === 2) connack = buf[body + 1];
      at = body + header.length;
    }
    buf = buf.subarray(at);
    this.input = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    return connack;
  }
}

function remainingLength(buf: Buffer, at: number): { length: number; bytes: number } | null {
  let length = 0;
  for (let i = 0; i < 4; i++) {
    if (at + i >= buf.length) return null;
    const b = buf[at + i]!;
    length += (b & 0x7f) * 128 ** i;
    if (b < 0x80) return { length, bytes: i + 1 };
  }
  throw new Error('malformed remaining length');
}

function lengthBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function mqttString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function connectFrame(clientId: string, username: string, password: string): Buffer {
  const flags = 0x02 | (username ? 0x80 : 0) | (password ? 0x40 : 0);
  const body = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, flags, 0, 0]),
    mqttString(clientId),
    ...(username ? [mqttString(username)] : []),
    ...(password ? [mqttString(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10, ...lengthBytes(body.length)]), body]);
}

function publishFrame(topic: string, payload: string, packetId: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const payloadBytes = Buffer.byteLength(payload);
  const rest = 2 + topicBytes + 2 + payloadBytes;
  const header = lengthBytes(rest);
  const frame = Buffer.allocUnsafe(1 + header.length + rest);
  let at = 0;
  frame[at++] = 0x32; // PUBLISH, QoS 1
  for (const b of header) frame[at++] = b;
  frame.writeUInt16BE(topicBytes, at);
  at += 2 + frame.write(topic, at + 2);
  frame.writeUInt16BE(packetId, at);
  frame.write(payload, at + 2);
  return frame;
}
