// ChirpStack v4 MQTT integration: the JSON of its integration events (ChirpStack encodes its
// protobuf messages with pbjson: proto3 JSON names in camelCase, enums as their names, bytes as
// base64, default values left out) and of the downlink command it accepts. The reference is
// ChirpStack's own package @chirpstack/chirpstack-api (integration/integration_pb: UplinkEvent,
// AckEvent, TxAckEvent, DownlinkCommand); tests build events with it. No server-only imports.
import * as z from 'zod';

/** ChirpStack's defaults ([integration.mqtt] event_topic and command_topic in chirpstack.toml). */
export const CHIRPSTACK_EVENT_TOPIC = 'application/{{application_id}}/device/{{dev_eui}}/event/{{event}}';
export const CHIRPSTACK_COMMAND_TOPIC = 'application/{{application_id}}/device/{{dev_eui}}/command/{{command}}';
/** The events the ingest reads: uplinks, and the two that settle a downlink. */
export const CHIRPSTACK_EVENTS = ['up', 'ack', 'txack'] as const;

const devEui = z.string().regex(/^[0-9A-Fa-f]{16}$/, 'expected a 16-hex-digit DevEUI');

export const chirpstackDeviceInfo = z
  .object({
    tenantId: z.string().optional(),
    tenantName: z.string().optional(),
    applicationId: z.string().optional(),
    applicationName: z.string().optional(),
    deviceProfileId: z.string().optional(),
    deviceProfileName: z.string().optional(),
    deviceName: z.string().optional(),
    devEui,
    deviceClassEnabled: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .loose();

const rxInfo = z
  .object({
    gatewayId: z.string().optional(),
    rssi: z.number().optional(),
    snr: z.number().optional(),
    channel: z.number().optional(),
  })
  .loose();
const txInfo = z
  .object({ frequency: z.number().optional(), modulation: z.record(z.string(), z.unknown()).optional() })
  .loose();

/** `…/event/up`. pbjson leaves out zero values: fCnt 0, fPort 0, dr 0 and `adr: false` may be absent. */
export const chirpstackUplink = z
  .object({
    deduplicationId: z.string().min(1).max(128),
    time: z.string().optional(),
    deviceInfo: chirpstackDeviceInfo,
    devAddr: z.string().optional(),
    adr: z.boolean().optional(),
    dr: z.number().int().min(0).max(15).optional(),
    fCnt: z.number().int().min(0).optional(),
    fPort: z.number().int().min(0).max(255).optional(),
    confirmed: z.boolean().optional(),
    data: z.string().optional(),
    object: z.record(z.string(), z.unknown()).optional(),
    rxInfo: z.array(rxInfo).optional(),
    txInfo: txInfo.optional(),
    regionConfigId: z.string().optional(),
  })
  .loose()
  .meta({ id: 'ChirpstackUplinkEvent' });
export type ChirpstackUplink = z.infer<typeof chirpstackUplink>;

/** `…/event/ack`: the device acknowledged (or not) a confirmed downlink. */
export const chirpstackAck = z
  .object({
    deduplicationId: z.string().optional(),
    time: z.string().optional(),
    deviceInfo: chirpstackDeviceInfo,
    queueItemId: z.string().min(1).max(128),
    acknowledged: z.boolean().optional(),
    fCntDown: z.number().int().min(0).optional(),
  })
  .loose()
  .meta({ id: 'ChirpstackAckEvent' });

/** `…/event/txack`: a gateway transmitted the downlink. */
export const chirpstackTxAck = z
  .object({
    downlinkId: z.number().optional(),
    time: z.string().optional(),
    deviceInfo: chirpstackDeviceInfo,
    queueItemId: z.string().min(1).max(128),
    fCntDown: z.number().int().min(0).optional(),
    gatewayId: z.string().optional(),
    txInfo: z.record(z.string(), z.unknown()).optional(),
  })
  .loose()
  .meta({ id: 'ChirpstackTxAckEvent' });

/** What fleetbook publishes on `…/command/down` (ChirpStack's DownlinkCommand). */
export const chirpstackDownlinkCommand = z
  .strictObject({
    id: z.string().min(1).describe('the queue item id: ChirpStack echoes it as queueItemId in ack and txack'),
    devEui,
    confirmed: z.boolean(),
    fPort: z.number().int().min(1).max(223),
    data: z.string().describe('base64 of the bytes the product’s encoder made'),
  })
  .meta({ id: 'ChirpstackDownlinkCommand' });
export type ChirpstackDownlinkCommand = z.infer<typeof chirpstackDownlinkCommand>;
