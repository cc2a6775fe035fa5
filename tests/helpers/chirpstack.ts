// ChirpStack's own messages, built with ChirpStack's package (@chirpstack/chirpstack-api, the
// protobuf classes ChirpStack generates from its integration.proto) and written as ChirpStack's
// MQTT integration writes them: pbjson (proto3 JSON names, enums by name, bytes in base64,
// Timestamps in RFC 3339, Durations as "1.5s", zero values left out).
import { randomUUID } from 'node:crypto';
import common from '@chirpstack/chirpstack-api/common/common_pb.js';
import gw from '@chirpstack/chirpstack-api/gw/gw_pb.js';
import integration from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import duration from 'google-protobuf/google/protobuf/duration_pb';
import struct from 'google-protobuf/google/protobuf/struct_pb';
import timestamp from 'google-protobuf/google/protobuf/timestamp_pb';

const TIMESTAMPS = new Set(['time', 'gwTime', 'nsTime']);
const DURATIONS = new Set(['timeSinceGpsEpoch', 'fineTimeSinceGpsEpoch']);
const ENUMS: Record<string, Record<string, number>> = {
  crcStatus: { ...gw.CRCStatus },
  codeRate: { ...gw.CodeRate },
  deviceClassEnabled: { ...common.DeviceClass },
  source: { ...common.LocationSource },
};

function rfc3339(t: { seconds: number; nanos: number }): string {
  return new Date(t.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(t.nanos).padStart(9, '0')}+00:00`);
}

/** google-protobuf's toObject() → proto3 JSON as pbjson writes it. */
export function pbjson(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    if (key.endsWith('Map')) return Object.fromEntries(value.map(([k, v]) => [k, pbjson(v)]));
    return value.map((v) => pbjson(v));
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (TIMESTAMPS.has(key)) return rfc3339(o as { seconds: number; nanos: number });
    if (DURATIONS.has(key)) return `${(o.seconds as number) + (o.nanos as number) / 1e9}s`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      const name =
        k.endsWith('List') && Array.isArray(v)
          ? k.slice(0, -4)
          : k.endsWith('Map') && Array.isArray(v)
            ? k.slice(0, -3)
            : k;
      const converted =
        ENUMS[k] && typeof v === 'number' ? Object.keys(ENUMS[k]!).find((n) => ENUMS[k]![n] === v) : pbjson(v, k);
      if (
        converted === undefined ||
        converted === 0 ||
        converted === false ||
        converted === '' ||
        (Array.isArray(converted) && !converted.length)
      )
        continue;
      if (
        typeof converted === 'object' &&
        !Array.isArray(converted) &&
        !Object.keys(converted as object).length &&
        name !== 'object'
      )
        continue;
      out[name] = converted;
    }
    return out;
  }
  return value;
}

/** The proto3 JSON names of a generated message's fields, from its getters. */
export function fieldNames(message: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(message.prototype)
    .filter((n) => /^get[A-Z]/.test(n) && !/_as(B64|U8)$/.test(n) && n !== 'getParametersCase')
    .map((n) => n.slice(3, 4).toLowerCase() + n.slice(4))
    .map((n) => (n.endsWith('List') ? n.slice(0, -4) : n.endsWith('Map') ? n.slice(0, -3) : n));
}

const ts = (d: Date) => timestamp.Timestamp.fromDate(d);
const dur = (s: number) => {
  const d = new duration.Duration();
  d.setSeconds(Math.floor(s));
  d.setNanos(Math.round((s % 1) * 1e9));
  return d;
};

function rxInfo(gatewayId: string, rssi: number, snr: number, uplinkId: number): InstanceType<typeof gw.UplinkRxInfo> {
  const r = new gw.UplinkRxInfo();
  r.setGatewayId(gatewayId);
  r.setUplinkId(uplinkId);
  r.setGwTime(ts(new Date(Date.now() - 1600)));
  r.setNsTime(ts(new Date(Date.now() - 1500)));
  r.setTimeSinceGpsEpoch(dur(1_400_000_000.5));
  r.setFineTimeSinceGpsEpoch(dur(1_400_000_000.000_123));
  r.setRssi(rssi);
  r.setSnr(snr);
  r.setChannel(2);
  r.setRfChain(1);
  r.setBoard(0);
  r.setAntenna(1);
  const loc = new common.Location();
  loc.setLatitude(18.79);
  loc.setLongitude(98.98);
  loc.setAltitude(310);
  loc.setSource(common.LocationSource.GPS);
  loc.setAccuracy(5);
  r.setLocation(loc);
  r.setContext(Buffer.from([0x13, 0x73, 0x96, 0x39]));
  r.getMetadataMap().set('region_config_id', 'as923').set('region_common_name', 'AS923');
  r.setCrcStatus(gw.CRCStatus.CRC_OK);
  return r;
}

/** An UplinkEvent with every field of ChirpStack's message set, as pbjson JSON. */
export function fullUplinkEvent(
  devEui: string,
  applicationId: string,
  object: Record<string, unknown>,
  time = new Date(Date.now() - 1500),
): Record<string, any> {
  const ev = new integration.UplinkEvent();
  ev.setDeduplicationId(randomUUID());
  ev.setTime(ts(time));
  const di = new integration.DeviceInfo();
  di.setTenantId('52f14cd4-c6f1-4fbd-8f87-4025e1d49242');
  di.setTenantName('ChirpStack');
  di.setApplicationId(applicationId);
  di.setApplicationName('farm-north soil probes');
  di.setDeviceProfileId('14855bf7-d10d-4aee-b618-ebfcb64dc7ad');
  di.setDeviceProfileName('soil-probe 1.4 (AS923)');
  di.setDeviceName('soil-2-017');
  di.setDevEui(devEui);
  di.setDeviceClassEnabled(common.DeviceClass.CLASS_A);
  di.getTagsMap().set('site', 'farm-north');
  ev.setDeviceInfo(di);
  ev.setDevAddr('00189440');
  ev.setAdr(true);
  ev.setDr(5);
  ev.setFCnt(10233);
  ev.setFPort(2);
  ev.setConfirmed(true);
  ev.setData(Buffer.from('0102030405060708', 'hex'));
  ev.setObject(struct.Struct.fromJavaScript(object as never));
  ev.setRxInfoList([rxInfo('0016c001f11a2b3d', -109, -2, 3721), rxInfo('0016c001f11a2b3c', -97, 7.5, 55120)]);
  const tx = new gw.UplinkTxInfo();
  tx.setFrequency(923_400_000);
  const mod = new gw.Modulation();
  const lora = new gw.LoraModulationInfo();
  lora.setBandwidth(125_000);
  lora.setSpreadingFactor(7);
  lora.setCodeRateLegacy('4/5');
  lora.setCodeRate(gw.CodeRate.CR_4_5);
  lora.setPolarizationInversion(true);
  lora.setPreamble(8);
  lora.setNoCrc(true);
  mod.setLora(lora);
  tx.setModulation(mod);
  ev.setTxInfo(tx);
  const relay = new integration.UplinkRelayRxInfo();
  relay.setDevEui('0102030405060708');
  relay.setFrequency(923_200_000);
  relay.setDr(3);
  relay.setSnr(4);
  relay.setRssi(-80);
  relay.setWorChannel(1);
  ev.setRelayRxInfo(relay);
  const js = new common.JoinServerContext();
  js.setSessionKeyId('a1b2c3');
  const key = new common.KeyEnvelope();
  key.setKekLabel('kek-1');
  key.setAesKey(Buffer.alloc(16, 7));
  js.setAppSKey(key);
  ev.setJoinServerContext(js);
  ev.setRegionConfigId('as923');
  const out = pbjson(ev.toObject()) as Record<string, any>;
  out.object = ev.getObject()!.toJavaScript();
  return out;
}

/** AckEvent / TxAckEvent of a downlink, as ChirpStack publishes them. */
export function ackEvent(
  devEui: string,
  applicationId: string,
  queueItemId: string,
  acknowledged: boolean,
): Record<string, any> {
  const ev = new integration.AckEvent();
  ev.setDeduplicationId(randomUUID());
  ev.setTime(ts(new Date()));
  const di = new integration.DeviceInfo();
  di.setApplicationId(applicationId);
  di.setDevEui(devEui);
  ev.setDeviceInfo(di);
  ev.setQueueItemId(queueItemId);
  ev.setAcknowledged(acknowledged);
  ev.setFCntDown(12);
  return pbjson(ev.toObject()) as Record<string, any>;
}

export function txAckEvent(devEui: string, applicationId: string, queueItemId: string): Record<string, any> {
  const ev = new integration.TxAckEvent();
  ev.setDownlinkId(2_342_343);
  ev.setTime(ts(new Date()));
  const di = new integration.DeviceInfo();
  di.setApplicationId(applicationId);
  di.setDevEui(devEui);
  ev.setDeviceInfo(di);
  ev.setQueueItemId(queueItemId);
  ev.setFCntDown(12);
  ev.setGatewayId('0016c001f11a2b3c');
  return pbjson(ev.toObject()) as Record<string, any>;
}

/** Parses a DownlinkCommand as ChirpStack would: through its own message type (unknown JSON keys would be refused by pbjson). */
export function downlinkFields(): string[] {
  return fieldNames(integration.DownlinkCommand);
}

export { integration };
