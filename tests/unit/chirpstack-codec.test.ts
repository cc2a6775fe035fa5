import { describe, expect, it } from 'vitest';
import { mapCodecObject, metricKey } from '../../data-api/src/telemetry/ingest/chirpstack/codec.ts';
import { ChirpstackTopics, templateProblem } from '../../data-api/src/telemetry/ingest/chirpstack/topics.ts';

describe('ChirpStack codec output → metrics', () => {
  it.each([
    ['batteryVoltage', 'battery_voltage'],
    ['Temperature', 'temperature'],
    ['soil-moisture', 'soil_moisture'],
    ['PM2.5', 'pm2_5'],
    ['CO2ppm', 'co2ppm'],
    ['airTempC', 'air_temp_c'],
    ['HTTPStatus', 'http_status'],
    ['already_snake', 'already_snake'],
  ])('%s → %s', (key, name) => expect(metricKey(key)).toBe(name));

  it('flattens one level, converts text numbers and booleans, and names everything it cannot store', () => {
    expect(
      mapCodecObject({
        soil: { moisture: 31, tempC: '18.5' },
        on: false,
        n: ' 12 ',
        batteryVoltage: 3.6,
        battery_voltage: 3.7,
        x: { y: [1] },
        s: 'high',
      }),
    ).toEqual({
      metrics: { soil_moisture: 31, soil_temp_c: 18.5, on: 0, n: 12, battery_voltage: 3.6 },
      unmapped: [
        { field: 'battery_voltage', why: 'maps to battery_voltage, already taken by batteryVoltage' },
        { field: 'x.y', why: 'an array' },
        { field: 's', why: 'text "high"' },
      ],
    });
  });
});

describe('ChirpStack topic templates', () => {
  it('follows a changed event_topic / command_topic', () => {
    const topics = new ChirpstackTopics(
      'tenant/acme/app/{{ application_id }}/dev/{{dev_eui}}/{{event}}',
      'tenant/acme/app/{{application_id}}/dev/{{dev_eui}}/cmd/{{command}}',
    );
    expect(topics.filters()).toEqual([
      'tenant/acme/app/+/dev/+/up',
      'tenant/acme/app/+/dev/+/ack',
      'tenant/acme/app/+/dev/+/txack',
    ]);
    expect(topics.parseEvent('tenant/acme/app/a1/dev/0102030405060708/up')).toEqual({
      application_id: 'a1',
      dev_eui: '0102030405060708',
      event: 'up',
    });
    expect(topics.parseEvent('application/a1/device/0102030405060708/event/up')).toBeNull();
    expect(topics.command('a1', '0102030405060708')).toBe('tenant/acme/app/a1/dev/0102030405060708/cmd/down');
  });

  it('refuses a template it could not parse', () => {
    expect(templateProblem('application/{{application_id}}/device/{{devEui}}/event/{{event}}', 'event')).toBe(
      'unknown placeholder {{devEui}}; expected {{application_id}}, {{dev_eui}}, {{event}}',
    );
    expect(templateProblem('application/+/device/{{dev_eui}}/{{event}}/{{application_id}}', 'event')).toBe(
      'no MQTT wildcards (+ or #): placeholders stand for the variable parts',
    );
    expect(templateProblem('app-{{application_id}}/{{dev_eui}}/{{event}}', 'event')).toBe(
      'a placeholder must fill a whole topic level (got "app-{{application_id}}")',
    );
  });
});
