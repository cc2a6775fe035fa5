import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../data-api/src/kernel/config/index.ts';

describe('config (one zod schema over env + flags)', () => {
  it('defaults to embedded PGlite and aedes on 3000/1883', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.mqttPort).toBe(1883);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.resolve('.fleetbook/data/pg') });
    expect(config.broker).toMatchObject({ kind: 'aedes', port: 1883 });
    expect(config.embedded).toBe(true);
    expect(config.auth).toEqual({ openReads: true, proxy: null });
  });

  it('flags override environment variables', () => {
    const config = loadConfig({ PORT: '4000', MQTT_PORT: '1999' }, { PORT: '3100' });
    expect(config.port).toBe(3100);
    expect(config.mqttPort).toBe(1999);
  });

  it('DATABASE_URL and MQTT_URL switch to pg and an external broker; open reads default off', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
      MQTT_URL: 'mqtt://127.0.0.1:1883',
    });
    expect(config.database).toEqual({ kind: 'pg', url: 'postgres://postgres@127.0.0.1:5432/x' });
    expect(config.broker).toEqual({ kind: 'external', url: 'mqtt://127.0.0.1:1883' });
    expect(config.auth.openReads).toBe(false);
  });

  it('rate limits: defaults from the contract, N/unit or off per route group, the store by name', () => {
    expect(loadConfig({}).rateLimits).toEqual({
      store: 'database',
      limits: {
        claim: { max: 30, windowMs: 60_000 },
        events: { max: 1200, windowMs: 60_000 },
        tokens: { max: 30, windowMs: 60_000 },
      },
    });
    const set = loadConfig({
      FLEETBOOK_RATE_LIMIT_CLAIM: '5/10s',
      FLEETBOOK_RATE_LIMIT_EVENTS: 'off',
      FLEETBOOK_RATE_LIMIT_TOKENS: '100 / hour',
      FLEETBOOK_RATE_LIMIT_STORE: 'memory',
    });
    expect(set.rateLimits).toEqual({
      store: 'memory',
      limits: { claim: { max: 5, windowMs: 10_000 }, events: null, tokens: { max: 100, windowMs: 3_600_000 } },
    });
    expect(() => loadConfig({ FLEETBOOK_RATE_LIMIT_CLAIM: 'lots' })).toThrow(
      /^invalid configuration: FLEETBOOK_RATE_LIMIT_CLAIM: expected a limit like 30\/min/,
    );
    expect(() => loadConfig({ FLEETBOOK_RATE_LIMIT_TOKENS: '0/min' })).toThrow(
      /FLEETBOOK_RATE_LIMIT_TOKENS: expected a limit like/,
    );
    expect(() => loadConfig({ FLEETBOOK_RATE_LIMIT_STORE: 'redis' })).toThrow(/FLEETBOOK_RATE_LIMIT_STORE/);
  });

  it('the embedded broker may move off a taken 1883 only when no MQTT port was given', () => {
    expect(loadConfig({}).broker).toMatchObject({ kind: 'aedes', port: 1883, portFallback: 20 });
    expect(loadConfig({ MQTT_PORT: '1883' }).broker).toMatchObject({ port: 1883, portFallback: 0 });
    expect(loadConfig({}, { MQTT_PORT: '1999' }).broker).toMatchObject({ port: 1999, portFallback: 0 });
  });

  it('an empty env value counts as unset', () => {
    expect(loadConfig({ DATABASE_URL: '' }).database.kind).toBe('pglite');
  });

  it.each([
    [{ DATABASE_URL: 'not a url' }, /^invalid configuration: DATABASE_URL: expected a URL like postgres:/],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, /DATABASE_URL: expected a URL like postgres:/],
    [{ MQTT_URL: 'http://broker' }, /MQTT_URL: expected a URL like mqtt:/],
    [{ PORT: 'abc' }, /PORT: expected a port number/],
    [{ PORT: '70000' }, /PORT: expected a port between 0 and 65535 \(got "70000"\)/],
    [{ MQTT_PORT: '-1' }, /MQTT_PORT: expected a port between/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: /],
  ])('rejects %o with a one-line message naming the key', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a database password in its error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' })).toThrow(/^(?!.*hunter2)/);
  });
});
