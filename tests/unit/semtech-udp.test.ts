import { describe, expect, it } from 'vitest';
import {
  PROBE_GATEWAY_EUI,
  decodePullData,
  encodePullAck,
  encodePullData,
  pullAckProblem,
} from '../../data-api/src/runbooks/auto-check/semtech-udp.ts';

// The udp auto_check probe speaks the Semtech packet-forwarder protocol. The layouts below are
// copied from Semtech's document, Lora-net/packet_forwarder PROTOCOL.TXT v1.3 (commit
// 36ab4b40542c7ad59b6b4d083577aa9f13a2ed46), byte by byte:
//
// 5.2 PULL_DATA: 0 protocol version = 2 | 1-2 random token | 3 PULL_DATA identifier 0x02 | 4-11 Gateway unique identifier
// 5.3 PULL_ACK:  0 protocol version = 2 | 1-2 same token as the PULL_DATA packet to acknowledge | 3 PULL_ACK identifier 0x04
describe('Semtech UDP PULL_DATA / PULL_ACK', () => {
  const token = Buffer.from([0xa7, 0x3c]);
  const eui = Buffer.from([0xaa, 0x55, 0x5a, 0x00, 0x00, 0x00, 0x01, 0x01]);

  it('PULL_DATA is version 2, the token, 0x02, the 8-byte gateway EUI: 12 bytes', () => {
    expect([...encodePullData(token, eui)]).toEqual([
      0x02, 0xa7, 0x3c, 0x02, 0xaa, 0x55, 0x5a, 0x00, 0x00, 0x00, 0x01, 0x01,
    ]);
    const probe = encodePullData(token);
    expect(probe.length).toBe(12);
    expect(probe.subarray(4)).toEqual(PROBE_GATEWAY_EUI);
    expect(decodePullData(probe)).toEqual({ version: 2, token, gatewayEui: PROBE_GATEWAY_EUI });
    expect(() => encodePullData(Buffer.from([1]))).toThrow(/2 bytes/);
  });

  it('PULL_ACK is version 2, the same token, 0x04: 4 bytes; anything else is named', () => {
    expect([...encodePullAck(token)]).toEqual([0x02, 0xa7, 0x3c, 0x04]);
    expect(pullAckProblem(Buffer.from([0x02, 0xa7, 0x3c, 0x04]), token)).toBeNull();
    expect(pullAckProblem(Buffer.from([0x02, 0xa7, 0x3d, 0x04]), token)).toBe("token a73d, not the PULL_DATA's a73c");
    // A PUSH_ACK (0x01) is not a PULL_ACK; nor is a v1 answer (PROTOCOL.TXT before v1.3).
    expect(pullAckProblem(Buffer.from([0x02, 0xa7, 0x3c, 0x01]), token)).toBe('identifier 0x01, not PULL_ACK (0x04)');
    expect(pullAckProblem(Buffer.from([0x01, 0xa7, 0x3c, 0x04]), token)).toBe('protocol version 1, not 2');
    expect(pullAckProblem(Buffer.from([0x02, 0xa7]), token)).toBe('a 2-byte datagram, not a PULL_ACK (4 bytes)');
  });
});
