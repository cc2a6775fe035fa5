// The Semtech UDP packet-forwarder protocol, as much of it as a probe needs: a PULL_DATA a
// gateway sends to its network server every few seconds, and the PULL_ACK the server answers
// it with. Layout from Semtech's own document, Lora-net/packet_forwarder PROTOCOL.TXT (vendored in
// tests/fixtures/peers/semtech-packet_forwarder/, which the unit test reads), sections 5.2 and 5.3:
//
//   PULL_DATA  byte 0 protocol version = 2 | 1-2 random token | 3 identifier 0x02 | 4-11 gateway EUI
//   PULL_ACK   byte 0 protocol version = 2 | 1-2 same token as the PULL_DATA   | 3 identifier 0x04
//
// A network server (ChirpStack's gateway bridge, TTN's UDP endpoint) acknowledges a PULL_DATA of
// any gateway EUI, known to it or not, so the probe uses one fixed EUI that names itself.

export const SEMTECH_PROTOCOL_VERSION = 2;
export const PULL_DATA = 0x02;
export const PULL_ACK = 0x04;
/** The gateway EUI the probe sends: ASCII "fbprobe\0", never a real gateway's. */
export const PROBE_GATEWAY_EUI = Buffer.from('666270726f626500', 'hex');

/** A PULL_DATA datagram (12 bytes) with this 2-byte token. */
export function encodePullData(token: Buffer, gatewayEui: Buffer = PROBE_GATEWAY_EUI): Buffer {
  if (token.length !== 2) throw new Error(`a PULL_DATA token is 2 bytes, not ${token.length}`);
  if (gatewayEui.length !== 8) throw new Error(`a gateway EUI is 8 bytes, not ${gatewayEui.length}`);
  return Buffer.concat([Buffer.from([SEMTECH_PROTOCOL_VERSION]), token, Buffer.from([PULL_DATA]), gatewayEui]);
}

/** A PULL_ACK datagram (4 bytes) for this token: what a network server answers. */
export function encodePullAck(token: Buffer): Buffer {
  return Buffer.concat([Buffer.from([SEMTECH_PROTOCOL_VERSION]), token, Buffer.from([PULL_ACK])]);
}

/** Decodes a PULL_DATA (for stand-in servers): its token and gateway EUI, or null for anything else. */
export function decodePullData(msg: Buffer): { version: number; token: Buffer; gatewayEui: Buffer } | null {
  if (msg.length < 12 || msg[3] !== PULL_DATA) return null;
  return { version: msg[0]!, token: msg.subarray(1, 3), gatewayEui: msg.subarray(4, 12) };
}

/** Why `msg` is not the PULL_ACK of `token`, or null when it is. */
export function pullAckProblem(msg: Buffer, token: Buffer): string | null {
  if (msg.length < 4) return `a ${msg.length}-byte datagram, not a PULL_ACK (4 bytes)`;
  if (msg[3] !== PULL_ACK) return `identifier 0x${msg[3]!.toString(16).padStart(2, '0')}, not PULL_ACK (0x04)`;
  if (msg[0] !== SEMTECH_PROTOCOL_VERSION) return `protocol version ${msg[0]}, not ${SEMTECH_PROTOCOL_VERSION}`;
  if (!msg.subarray(1, 3).equals(token))
    return `token ${msg.subarray(1, 3).toString('hex')}, not the PULL_DATA's ${token.toString('hex')}`;
  return null;
}
