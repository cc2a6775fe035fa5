import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PROBE_GATEWAY_EUI,
  decodePullData,
  encodePullAck,
  encodePullData,
  pullAckProblem,
} from '../../data-api/src/runbooks/auto-check/semtech-udp.ts';

// The udp auto_check probe speaks the Semtech packet-forwarder protocol. Its packets are checked
// against Semtech's own document, vendored unchanged: tests/fixtures/peers/semtech-packet_forwarder/
// PROTOCOL.TXT (Lora-net/packet_forwarder, the commit in tests/fixtures/peers/README.md),
// sections 5.2 PULL_DATA and 5.3 PULL_ACK, whose byte tables read:
//   0 protocol version = 2 | 1-2 random token (or: same token as the PULL_DATA) | 3 <name> identifier 0x..
//   | 4-11 Gateway unique identifier (PULL_DATA only)
const PROTOCOL = fs.readFileSync(
  path.join(__dirname, '../fixtures/peers/semtech-packet_forwarder/PROTOCOL.TXT'),
  'utf8',
);

interface Field {
  from: number;
  to: number;
  fn: string;
}

/** The byte table of the section titled `### <n>. <name> packet ###`. */
function layout(name: string): Field[] {
  const start = PROTOCOL.search(new RegExp(`^### [0-9.]+ ${name} packet ###$`, 'm'));
  expect(start, `PROTOCOL.TXT has a ${name} section`).toBeGreaterThan(0);
  const section = PROTOCOL.slice(start).split(/\n(?=### )/)[0]!;
  return [...section.matchAll(/^ (\d+)(?:-(\d+))?\s+\| (.+)$/gm)].map((m) => ({
    from: Number(m[1]),
    to: Number(m[2] ?? m[1]),
    fn: m[3]!.trim(),
  }));
}

const field = (fields: Field[], re: RegExp) => {
  const f = fields.find((x) => re.test(x.fn));
  expect(f, `a field matching ${re}`).toBeDefined();
  return f!;
};
const bytesOf = (packet: Buffer, f: Field) => [...packet.subarray(f.from, f.to + 1)];

describe('Semtech UDP PULL_DATA / PULL_ACK', () => {
  it('are laid out as Semtech’s PROTOCOL.TXT says, field by field', () => {
    const tok = Buffer.from([0x5e, 0x11]);
    for (const [name, packet] of [
      ['PULL_DATA', encodePullData(tok, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))],
      ['PULL_ACK', encodePullAck(tok)],
    ] as const) {
      const fields = layout(name);
      expect(packet.length, name).toBe(Math.max(...fields.map((f) => f.to)) + 1);
      const version = field(fields, /^protocol version = (\d+)$/);
      expect(bytesOf(packet, version), `${name} version`).toEqual([Number(/= (\d+)$/.exec(version.fn)![1])]);
      expect(bytesOf(packet, field(fields, /token/)), `${name} token`).toEqual([...tok]);
      const id = field(fields, new RegExp(`^${name} identifier 0x([0-9a-f]{2})$`, 'i'));
      expect(bytesOf(packet, id), `${name} identifier`).toEqual([parseInt(id.fn.slice(-2), 16)]);
      if (name === 'PULL_DATA')
        expect(bytesOf(packet, field(fields, /^Gateway unique identifier/))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    }
  });

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
