import type net from 'node:net';
import type { PublishPacket } from 'aedes';
import { parseTopic } from '../../contracts/mqtt.ts';

/**
 * What the embedded broker refuses, whoever the client is. MQTT 3.1.1 has no way to say no to
 * a PUBLISH, so a refusal closes the connection, unacknowledged, as Mosquitto does for its
 * `max_packet_size` and `retain_available false`.
 */

/** Room above the payload limit for the topic and headers of one packet (Mosquitto's export uses the same). */
export const PACKET_HEADROOM_BYTES = 1024;

/** Why a publish is refused, or null: a payload above the limit, or `retain` on anything but a device's `state`. */
export function publishRefusal(
  packet: Pick<PublishPacket, 'topic' | 'payload' | 'retain'>,
  maxPayloadBytes: number,
): string | null {
  const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
  if (size > maxPayloadBytes)
    return `payload of ${size} bytes on ${packet.topic} is above the limit of ${maxPayloadBytes}`;
  // An empty retained publish only clears what is retained: always allowed.
  const kind = parseTopic(packet.topic)?.kind;
  if (packet.retain && size > 0 && kind !== undefined && kind !== 'state')
    return `retain on ${packet.topic}: only a device's state is retained, never its ${kind}`;
  return null;
}

/**
 * Closes a connection as soon as a packet header announces more than `maxPacketBytes`, before
 * the broker has buffered it (an anonymous client could otherwise make it hold 256 MB). Reads
 * only the fixed headers of the bytes the broker consumes: with aedes reading on 'readable',
 * 'data' is emitted for exactly what it reads.
 */
export function guardPacketSize(
  socket: net.Socket,
  maxPacketBytes: number,
  onTooLarge: (announced: number) => void,
): void {
  let state: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let remaining = 0;
  socket.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length;) {
      if (state === 'body') {
        const take = Math.min(remaining, chunk.length - i);
        remaining -= take;
        i += take;
        if (remaining === 0) state = 'type';
        continue;
      }
      const byte = chunk[i++]!;
      if (state === 'type') {
        state = 'length';
        length = 0;
        multiplier = 1;
        continue;
      }
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if (byte & 0x80) continue;
      if (length > maxPacketBytes) {
        onTooLarge(length);
        socket.destroy();
        return;
      }
      remaining = length;
      state = remaining ? 'body' : 'type';
    }
  });
}
