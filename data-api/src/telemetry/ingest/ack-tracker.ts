// The PUBACKs of the ingest: a QoS 1 message is acknowledged only once the batch holding it is
// committed (at-least-once end to end), and PUBACKs go out in the order the messages arrived
// (MQTT 3.1.1 §4.6), so one slow batch holds back the acknowledgements of later ones.
import type { MqttClient } from 'mqtt';

/** A received message as the tracker sees it. */
export interface Ackable {
  /** The PUBLISH's packet id; undefined for QoS 0 (nothing to acknowledge). */
  messageId: number | undefined;
  /** The connection it arrived on (see AckTracker.generation). */
  generation: number;
  /** Its batch is committed. */
  written: boolean;
}

/** PUBACK (MQTT 3.1.1 §3.4): fixed header 0x40, remaining length 2, the packet id. */
const PUBACK_BYTES = 4;

export class AckTracker {
  /**
   * Counts connections: a PUBACK owed on a connection that closed is never sent (the broker
   * redelivers that message on the next one), and a subscribe answer from an old connection is ignored.
   */
  generation = 0;
  /** QoS 1 messages in the order received, from `head` on (a moving head: shift() copies the array). */
  private queue: Ackable[] = [];
  private head = 0;

  constructor(private readonly client: MqttClient) {}

  /** A QoS 1 message arrived: its PUBACK waits for its batch and every earlier message's. */
  track(message: Ackable): void {
    this.queue.push(message);
  }

  /** These messages are committed: sends every PUBACK now due, in the order received. */
  written(messages: readonly Ackable[]): void {
    for (const m of messages) m.written = true;
    const { queue } = this;
    const from = this.head;
    let to = from;
    while (to < queue.length && queue[to]!.written) to++;
    if (to === from) return;
    this.send(queue, from, to);
    if (to === queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (to > 1024 && to * 2 > queue.length) {
      this.queue = queue.slice(to);
      this.head = 0;
    } else this.head = to;
  }

  /** The connection closed (or the ingest is aborted): the PUBACKs owed on it are dropped. */
  connectionLost(): void {
    this.generation++;
    this.queue = [];
    this.head = 0;
  }

  /**
   * The PUBACKs of queue[from, to) that are owed on this connection, in order, in one write:
   * mqtt.js has no public "ack later", and its per-packet path (_sendPacket: encode, event,
   * cork) cost more than the rest of the ingest's per-message work. PUBACKs touch none of
   * its state (no store), so writing their bytes to its stream is equivalent; the keepalive is
   * told (below).
   */
  private send(queue: Ackable[], from: number, to: number): void {
    const stream = this.client.stream;
    if (!this.client.connected || !stream?.writable) return;
    const bytes = Buffer.allocUnsafe((to - from) * PUBACK_BYTES);
    let at = 0;
    for (let i = from; i < to; i++) {
      const m = queue[i]!;
      if (m.messageId === undefined || m.generation !== this.generation) continue;
      bytes[at] = 0x40;
      bytes[at + 1] = 2;
      bytes.writeUInt16BE(m.messageId, at + 2);
      at += PUBACK_BYTES;
    }
    if (!at) return;
    stream.write(at === bytes.length ? bytes : bytes.subarray(0, at));
    // Sent packets are keepalive traffic (MQTT 3.1.1 §3.1.2.10: PINGREQ only "in the absence of
    // sending any other Control Packets"). mqtt.js does not see these writes, so it would ping
    // every keepalive, and under a backlog the PINGRESP waits behind thousands of PUBLISHes
    // until it gives up on a broker that is sending all the while ("Keepalive timeout").
    this.client.reschedulePing(true);
  }
}
