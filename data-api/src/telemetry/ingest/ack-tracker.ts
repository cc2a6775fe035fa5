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

export class AckTracker {
  /**
   * Counts connections: a PUBACK owed on a connection that closed is never sent (the broker
   * redelivers that message on the next one), and a subscribe answer from an old connection is ignored.
   */
  generation = 0;
  /** QoS 1 messages in the order received. */
  private readonly queue: Ackable[] = [];

  constructor(private readonly client: MqttClient) {}

  /** A QoS 1 message arrived: its PUBACK waits for its batch and every earlier message's. */
  track(message: Ackable): void {
    this.queue.push(message);
  }

  /** These messages are committed: sends every PUBACK now due, in the order received. */
  written(messages: readonly Ackable[]): void {
    for (const m of messages) m.written = true;
    while (this.queue.length && this.queue[0]!.written) this.ack(this.queue.shift()!);
  }

  /** The connection closed (or the ingest is aborted): the PUBACKs owed on it are dropped. */
  connectionLost(): void {
    this.generation++;
    this.queue.length = 0;
  }

  private ack(m: Ackable): void {
    if (m.messageId === undefined || m.generation !== this.generation || !this.client.connected) return;
    // mqtt.js has no public "ack later"; _sendPacket is how it sends its own PUBACKs.
    (this.client as unknown as { _sendPacket(packet: object, cb?: () => void): void })._sendPacket({
      cmd: 'puback',
      messageId: m.messageId,
    });
  }
}
