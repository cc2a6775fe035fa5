import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import deviceGrpc from '@chirpstack/chirpstack-api/api/device_grpc_pb.js';
import devicePb from '@chirpstack/chirpstack-api/api/device_pb.js';
import commonPb from '@chirpstack/chirpstack-api/common/common_pb.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAutomation } from '../../data-api/src/automation/orchestrate.ts';
import { validateExecutionSpec } from '../../data-api/src/contracts/execution-spec.ts';
import { tempDir } from '../helpers/automation.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  startChirpstackApi,
  type ChirpstackApiStandIn,
  type RecordedGrpcCall,
} from '../helpers/chirpstack-api-server.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';
import { backend, seedDeployment, type Seeded } from './automation-runs-fixtures.ts';

// provision_lorawan_devices against a gRPC stand-in built from ChirpStack's own service
// definitions (@chirpstack/chirpstack-api): the runner is the real one (runAutomation, as
// `fleetbook run`), reporting to the real API, whose registry gets external_refs.chirpstack.

const TENANT = '52f14cd4-c6f1-4fbd-8f87-4025e1d49242';
const OTHER_TENANT = '0d6b1f7e-2f4c-4d8e-9a3b-5c6d7e8f9a0b';
const TENANT_KEY = 'cs-tenant-key-7f3a9c1e5b2d4f6a8c0e';
const ADMIN_KEY = 'cs-admin-key-9e8d7c6b5a4f3e2d1c0b';
const READ_ONLY_KEY = 'cs-read-only-key-1b2c3d4e5f60718293';
const KEY_1 = '2b7e151628aed2a6abf7158809cf4f3c';
const KEY_2 = '000102030405060708090a0b0c0d0e0f';
const EUI_1 = '70b3d57ed0000001';
const EUI_2 = '70B3D57ED0000002'; // upper case in the spec: ChirpStack writes EUIs in lower case
const tmp = tempDir('cs-provision');
let t: TestApp;
let base: string;
let admin: Client;
let dep: Seeded;
let other: Seeded;
let automationToken: string;
let cs: ChirpstackApiStandIn;
let n = 0;

function spec(
  patch: { devices?: Array<Record<string, unknown>>; with?: Record<string, unknown>; deployment?: string } = {},
) {
  return {
    spec_version: 1,
    project: 'farm-north-lorawan',
    deployment_id: patch.deployment ?? dep.deployment,
    product_code: 'lorawan-gw',
    product_version: '2.1.0',
    actions: [
      {
        id: 'lorawan',
        type: 'provision_lorawan_devices',
        with: {
          server: cs.address,
          tenant_id: TENANT,
          application: { name: 'farm-north', description: 'Farm North sensors' },
          device_profile: {
            name: 'soil-probe 1.3 AS923-2',
            region: 'AS923-2',
            mac_version: '1.0.3',
            reg_params_revision: 'RP002-1.0.3',
            uplink_interval_s: 900,
          },
          devices: patch.devices ?? [
            { device: 'dev_soil-1', dev_eui: EUI_1, app_key: { secret: 'env:APPKEY_SOIL_1' } },
            {
              device: 'dev_soil-2',
              dev_eui: EUI_2,
              name: 'soil 2',
              app_key: { secret: 'env:APPKEY_SOIL_2' },
              tags: { row: '7' },
            },
          ],
          ...patch.with,
        },
      },
    ],
  };
}

async function run(specValue: Record<string, unknown>, env: Record<string, string> = {}) {
  const file = path.join(tmp.dir, `spec-${++n}.json`);
  fs.writeFileSync(file, JSON.stringify(specValue));
  const lines: string[] = [];
  const outcome = await runAutomation({
    specFile: file,
    api: base,
    token: automationToken,
    docsDir: path.join(tmp.dir, `docs-${n}`),
    journal: path.join(tmp.dir, `journal-${n}.jsonl`),
    env: { CHIRPSTACK_API_TOKEN: TENANT_KEY, APPKEY_SOIL_1: KEY_1, APPKEY_SOIL_2: KEY_2, ...env },
    out: (l) => lines.push(l),
    reporter: { backoffMs: 20, closeAttempts: 20, closeDelayMs: 100, requestTimeoutMs: 5000 },
  });
  const action = outcome.run!.actions[0]!;
  return { outcome, action, lines };
}

const methods = (calls: RecordedGrpcCall[]) => calls.map((c) => c.method.replace(/^api\./, ''));

beforeAll(async () => {
  t = await createTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  admin = client(t.app, await bearer(t.ctx.db, 'admin'));
  dep = await seedDeployment(t.ctx.db, admin, 'cs-prov-a');
  other = await seedDeployment(t.ctx.db, admin, 'cs-prov-b');
  for (const id of ['dev_soil-1', 'dev_soil-2']) {
    await must(
      admin.post('/devices', {
        id,
        deployment_id: dep.deployment,
        product_code: 'soil-probe',
        role: 'sensor',
        external_refs: { rfid: { station_id: 'keep-me' } },
      }),
    );
  }
  await must(
    admin.post('/devices', {
      id: 'dev_soil-elsewhere',
      deployment_id: other.deployment,
      product_code: 'soil-probe',
      role: 'sensor',
    }),
  );
  automationToken = await bearer(t.ctx.db, 'automation', null, 'ci-runner');
  cs = await startChirpstackApi({
    tenants: { [TENANT]: 'Farm North', [OTHER_TENANT]: 'Someone else' },
    keys: [
      { token: TENANT_KEY, tenantId: TENANT },
      { token: ADMIN_KEY, admin: true },
      { token: READ_ONLY_KEY, tenantId: TENANT, readOnly: true },
    ],
  });
});

afterAll(async () => {
  await cs?.close();
  await t?.close();
  tmp.cleanup();
});

describe(`provision_lorawan_devices against a ChirpStack v4 gRPC stand-in (${backend()})`, () => {
  it('creates the application, device profile, devices and OTAA keys, writes external_refs back; a second run changes nothing', async () => {
    const first = await run(spec());
    expect(first.outcome.exitCode, first.lines.join('\n')).toBe(0);
    expect(first.outcome.delivery).toMatchObject({ pending: 0, rejected: 0 });
    expect(methods(cs.calls)).toEqual([
      'TenantService/Get',
      'ApplicationService/List',
      'ApplicationService/Create',
      'DeviceProfileService/List',
      'DeviceProfileService/Create',
      'DeviceService/List',
      'DeviceService/Create',
      'DeviceService/CreateKeys',
      'DeviceService/Create',
      'DeviceService/CreateKeys',
    ]);
    expect(cs.calls.every((c) => c.code === 0)).toBe(true);
    const [app] = [...cs.applications.values()];
    const [profile] = [...cs.deviceProfiles.values()];
    const appId = app!.message.getId();
    const profileId = profile!.message.getId();
    expect(app!.message.toObject()).toEqual({
      id: appId,
      tenantId: TENANT,
      name: 'farm-north',
      description: 'Farm North sensors',
      tagsMap: [],
    });
    expect(profile!.message.toObject()).toMatchObject({
      tenantId: TENANT,
      name: 'soil-probe 1.3 AS923-2',
      region: commonPb.Region.AS923_2,
      macVersion: commonPb.MacVersion.LORAWAN_1_0_3,
      regParamsRevision: commonPb.RegParamsRevision.RP002_1_0_3,
      adrAlgorithmId: 'default',
      uplinkInterval: 900,
      supportsOtaa: true,
      supportsClassC: false,
    });
    const created = cs.calls.filter((c) => c.method === 'api.DeviceService/Create').map((c) => c.request.device);
    expect(created).toEqual([
      expect.objectContaining({
        devEui: EUI_1,
        name: 'dev_soil-1',
        applicationId: appId,
        deviceProfileId: profileId,
        joinEui: '',
        tagsMap: [['fleetbook_device', 'dev_soil-1']],
      }),
      expect.objectContaining({
        devEui: EUI_2.toLowerCase(),
        name: 'soil 2',
        applicationId: appId,
        deviceProfileId: profileId,
        tagsMap: [
          ['fleetbook_device', 'dev_soil-2'],
          ['row', '7'],
        ],
      }),
    ]);
    // LoRaWAN 1.0.x: the AppKey goes in nwk_key (ChirpStack's device.proto), app_key stays empty.
    expect(
      cs.calls.filter((c) => c.method === 'api.DeviceService/CreateKeys').map((c) => c.request.deviceKeys),
    ).toEqual([
      { devEui: EUI_1, nwkKey: KEY_1, appKey: '', genAppKey: '' },
      { devEui: EUI_2.toLowerCase(), nwkKey: KEY_2, appKey: '', genAppKey: '' },
    ]);
    expect(first.action.outputs).toMatchObject({
      application: 'created',
      device_profile: 'created',
      application_id: appId,
      device_profile_id: profileId,
      changed: 4,
    });
    // Keys never reach the log, the run page or the output.
    const page = fs.readFileSync(first.outcome.page!, 'utf8');
    for (const text of [first.lines.join('\n'), page, JSON.stringify(first.outcome.run)]) {
      expect(text).not.toContain(KEY_1);
      expect(text).not.toContain(KEY_2);
    }

    // The registry: external_refs.chirpstack merged in, the RFID ref kept.
    for (const [id, eui] of [
      ['dev_soil-1', EUI_1],
      ['dev_soil-2', EUI_2.toLowerCase()],
    ] as const) {
      const device = await must(admin.get(`/devices/${id}`), 200);
      expect(device.external_refs).toEqual({
        rfid: { station_id: 'keep-me' },
        chirpstack: { dev_eui: eui, application_id: appId, device_profile_id: profileId },
      });
    }
    const audits = async () =>
      (
        await t.ctx.db
          .selectFrom('audit_log')
          .select('id')
          .where('entity_id', 'in', ['dev_soil-1', 'dev_soil-2'])
          .execute()
      ).length;
    const auditsAfterFirst = await audits();

    // Second run: reads only, nothing written in ChirpStack or the registry, and it says so.
    const before = JSON.stringify([...cs.devices.values()].map((d) => [d.message.toObject(), d.updatedAt]));
    const seen = cs.calls.length;
    const second = await run(spec());
    expect(second.outcome.exitCode, second.lines.join('\n')).toBe(0);
    const again = cs.calls.slice(seen);
    expect(methods(again)).toEqual([
      'TenantService/Get',
      'ApplicationService/List',
      'ApplicationService/Get',
      'DeviceProfileService/List',
      'DeviceProfileService/Get',
      'DeviceService/List',
      'DeviceService/Get',
      'DeviceService/GetKeys',
      'DeviceService/Get',
      'DeviceService/GetKeys',
    ]);
    expect(cs.writes()).toHaveLength(6);
    expect(JSON.stringify([...cs.devices.values()].map((d) => [d.message.toObject(), d.updatedAt]))).toBe(before);
    expect(second.action.summary).toBe(
      'ChirpStack already as specified: nothing changed (application, device profile, 2 devices and their keys)',
    );
    expect(second.action.outputs).toMatchObject({ application: 'unchanged', device_profile: 'unchanged', changed: 0 });
    expect(second.action.outputs!.devices).toEqual([
      { device: 'dev_soil-1', dev_eui: EUI_1, device_outcome: 'unchanged', keys_outcome: 'unchanged' },
      { device: 'dev_soil-2', dev_eui: EUI_2.toLowerCase(), device_outcome: 'unchanged', keys_outcome: 'unchanged' },
    ]);
    expect(await audits()).toBe(auditsAfterFirst);

    if (process.env.FLEETBOOK_DUMP_CHIRPSTACK_REQUESTS) {
      // For the issue's closing note: every request the stand-in saw, keys masked.
      const mask = (v: unknown) => JSON.stringify(v).replace(/"(nwkKey|appKey)":"[0-9a-f]{32}"/g, '"$1":"<32 hex>"');
      fs.writeFileSync(
        process.env.FLEETBOOK_DUMP_CHIRPSTACK_REQUESTS,
        cs.calls.map((c) => `${c.method} ${mask(c.request)}`).join('\n') + '\n',
      );
    }
  });

  it('updates only what differs: a renamed device, a replaced key; a tag set in ChirpStack survives', async () => {
    // Someone tags a device in ChirpStack's UI.
    cs.devices.get(EUI_1)!.message.getTagsMap().set('installer', 'ana');
    const seen = cs.calls.length;
    const { outcome, action } = await run(
      spec({
        devices: [
          {
            device: 'dev_soil-1',
            dev_eui: EUI_1,
            name: 'soil 1 (north row)',
            app_key: { secret: 'env:APPKEY_SOIL_1' },
          },
          {
            device: 'dev_soil-2',
            dev_eui: EUI_2,
            name: 'soil 2',
            app_key: { secret: 'env:APPKEY_SOIL_2' },
            tags: { row: '7' },
          },
        ],
      }),
      { APPKEY_SOIL_2: 'ffeeddccbbaa99887766554433221100' },
    );
    expect(outcome.exitCode).toBe(0);
    const writes = cs.calls.slice(seen).filter((c) => /Create|Update/.test(c.method));
    expect(methods(writes)).toEqual(['DeviceService/Update', 'DeviceService/UpdateKeys']);
    expect(writes[0]!.request.device).toMatchObject({
      devEui: EUI_1,
      name: 'soil 1 (north row)',
      tagsMap: [
        ['fleetbook_device', 'dev_soil-1'],
        ['installer', 'ana'],
      ],
    });
    expect(writes[1]!.request.deviceKeys).toEqual({
      devEui: EUI_2.toLowerCase(),
      nwkKey: 'ffeeddccbbaa99887766554433221100',
      appKey: '',
      genAppKey: '',
    });
    expect(action.log).toContain(`device ${EUI_1} (dev_soil-1): updated name`);
    expect(action.log).toContain(`device ${EUI_2.toLowerCase()} (dev_soil-2): OTAA keys replaced (nwk_key differed)`);
    expect(action.summary).toBe('ChirpStack: 0 devices created, 1 updated, 1 unchanged; keys 0 set, 1 replaced');
  });

  it('an inline key in the spec is refused by validation, naming its path', () => {
    const inline = spec({ devices: [{ device: 'dev_soil-1', dev_eui: EUI_1, app_key: KEY_1 }] });
    const result = validateExecutionSpec(inline);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues.map((i) => `${i.rule} ${i.path.join('.')}`)).toEqual([
      'spec/inline-secret actions.0.with.devices.0.app_key',
    ]);
  });

  it('a bad key or a missing secret fails before ChirpStack is asked anything', async () => {
    const seen = cs.calls.length;
    const short = await run(spec(), { APPKEY_SOIL_2: KEY_2.slice(1) });
    expect(short.action.error).toBe('devices[1].app_key (env:APPKEY_SOIL_2) must be 32 hex digits (an AES-128 key)');
    const missing = await run(spec(), { CHIRPSTACK_API_TOKEN: '' });
    expect(missing.action.error).toBe(
      "secret env:CHIRPSTACK_API_TOKEN is not set: export CHIRPSTACK_API_TOKEN=… in the runner's environment",
    );
    expect(cs.calls.length).toBe(seen);
  });

  it("ChirpStack's refusals come through with its status and message", async () => {
    // A read-only key: the first write is refused (UNAUTHENTICATED, empty message, as ChirpStack answers).
    const ro = await run(spec({ with: { application: { name: 'farm-north-2' } } }), {
      CHIRPSTACK_API_TOKEN: READ_ONLY_KEY,
    });
    expect(ro.action.error).toMatch(
      /^ChirpStack ApplicationService\/Create failed: UNAUTHENTICATED — check the API key/,
    );
    // An unknown key.
    const bad = await run(spec(), { CHIRPSTACK_API_TOKEN: 'not-a-key' });
    expect(bad.action.error).toMatch(
      /^ChirpStack TenantService\/Get failed: UNAUTHENTICATED InvalidToken — check the API key/,
    );
    // A DevEUI that lives in another application of the tenant is never moved silently.
    const elsewhere = await run(
      spec({
        with: { application: { name: 'farm-south' } },
        devices: [{ device: 'dev_soil-1', dev_eui: EUI_1, app_key: { secret: 'env:APPKEY_SOIL_1' } }],
      }),
    );
    expect(elsewhere.action.error).toMatch(
      new RegExp(
        `^DevEUI ${EUI_1} \\(dev_soil-1\\) already exists in ChirpStack, in another application than "farm-south" \\([0-9a-f-]{36}\\): move or delete it there first$`,
      ),
    );
    expect(cs.calls.at(-1)).toMatchObject({
      method: 'api.DeviceService/Create',
      code: grpc.status.INTERNAL,
      details: 'duplicate key value violates unique constraint "device_pkey"',
    });
    // Nothing listening.
    const gone = await run(spec({ with: { server: '127.0.0.1:1', call_timeout_s: 2 } }));
    expect(gone.action.error).toMatch(
      /^ChirpStack TenantService\/Get failed: UNAVAILABLE .* — is ChirpStack's API listening on 127\.0\.0\.1:1 without TLS\?$/,
    );
  });

  it("the stand-in refuses what ChirpStack refuses (called with ChirpStack's own client)", async () => {
    const devices = new deviceGrpc.DeviceServiceClient(cs.address, grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TENANT_KEY}`);
    const adminMd = new grpc.Metadata();
    adminMd.set('authorization', `Bearer ${ADMIN_KEY}`);
    const call = <Req>(
      fn: (r: Req, m: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => unknown,
      req: Req,
      as = md,
    ) =>
      new Promise<string>((resolve) =>
        fn.call(devices, req, as, (e) => resolve(e ? `${grpc.status[e.code]} ${e.details}` : 'OK')),
      );
    const device = (patch: (d: InstanceType<typeof devicePb.Device>) => void) => {
      const d = new devicePb.Device();
      d.setDevEui('70b3d57ed00000ff');
      d.setName('x');
      d.setApplicationId([...cs.applications.values()][0]!.message.getId());
      d.setDeviceProfileId([...cs.deviceProfiles.values()][0]!.message.getId());
      patch(d);
      const req = new devicePb.CreateDeviceRequest();
      req.setDevice(d);
      return req;
    };
    const keys = (eui: string, nwk: string) => {
      const dk = new devicePb.DeviceKeys();
      dk.setDevEui(eui);
      dk.setNwkKey(nwk);
      const req = new devicePb.CreateDeviceKeysRequest();
      req.setDeviceKeys(dk);
      return req;
    };
    expect(await call(devices.create, new devicePb.CreateDeviceRequest())).toBe('INVALID_ARGUMENT device is missing');
    expect(
      await call(
        devices.create,
        device((d) => d.setDevEui('70b3d57ed00000')),
      ),
    ).toBe('INTERNAL Invalid string length');
    expect(
      await call(
        devices.create,
        device((d) => d.setDevEui('70b3d57ed00000f')),
      ),
    ).toBe('INTERNAL Odd number of digits');
    expect(
      await call(
        devices.create,
        device((d) => d.setDevEui('70b3d57ed00000fg')),
      ),
    ).toBe("INTERNAL Invalid character 'g' at position 15");
    expect(
      await call(
        devices.create,
        device((d) => d.setApplicationId('farm-north')),
      ),
    ).toMatch(/^INVALID_ARGUMENT invalid character: expected an optional prefix of `urn:uuid:`/);
    expect(
      await call(
        devices.create,
        device((d) => d.setDeviceProfileId('6d5db27e-4ce2-4b2b-b5d7-91f069397978')),
      ),
    ).toBe(
      'INTERNAL insert or update on table "device" violates foreign key constraint "device_device_profile_id_fkey"',
    );
    expect(
      await call(
        devices.create,
        device((d) => d.setDevEui(EUI_1)),
      ),
    ).toBe('INTERNAL duplicate key value violates unique constraint "device_pkey"');
    // Keys for a DevEUI nobody has: a tenant key is refused by the validator (it finds no row it
    // may update), an admin key gets as far as the insert.
    expect(await call(devices.createKeys, keys('70b3d57ed00000ee', KEY_1))).toBe('UNAUTHENTICATED ');
    expect(await call(devices.createKeys, keys('70b3d57ed00000ee', KEY_1), adminMd)).toBe(
      'INTERNAL insert or update on table "device_keys" violates foreign key constraint "device_keys_dev_eui_fkey"',
    );
    expect(await call(devices.createKeys, keys(EUI_1, KEY_1.slice(2)))).toBe('INTERNAL Invalid string length');
    expect(await call(devices.createKeys, keys(EUI_1, KEY_1))).toBe(
      'INTERNAL duplicate key value violates unique constraint "device_keys_pkey"',
    );
    const get = new devicePb.GetDeviceRequest();
    get.setDevEui('70b3d57ed00000ee');
    // A tenant key asking for a DevEUI nobody has: ChirpStack's validator finds no row it may read.
    expect(await call(devices.get, get)).toBe('UNAUTHENTICATED ');
    expect(await call(devices.get, get, adminMd)).toBe('NOT_FOUND Object does not exist (id: 70b3d57ed00000ee)');
    const update = new devicePb.UpdateDeviceRequest();
    update.setDevice(
      device((d) => {
        d.setDevEui(EUI_1);
        d.setName('');
      }).getDevice(),
    );
    expect(await call(devices.update, update)).toBe('INVALID_ARGUMENT Validation error: name is not set');
    const noAuth = new grpc.Metadata();
    expect(
      await new Promise((resolve) => devices.get(get, noAuth, (e) => resolve(`${grpc.status[e!.code]} ${e!.details}`))),
    ).toBe('UNAUTHENTICATED no authorization provided');
    const basic = new grpc.Metadata();
    basic.set('authorization', `Basic ${TENANT_KEY}`);
    expect(
      await new Promise((resolve) => devices.get(get, basic, (e) => resolve(`${grpc.status[e!.code]} ${e!.details}`))),
    ).toBe("UNAUTHENTICATED authorization metadata must be in format 'Bearer <TOKEN>");
    devices.close();
  });

  it('the write-back route: a device outside the run is a 400, a DevEUI of another device a 409, a repeat changes nothing', async () => {
    // A run still open (the route refuses finished runs): a queued one.
    const queued = await must(admin.post(`/deployments/${dep.deployment}/automation-runs`, { spec: spec() }));
    const runner = client(t.app, automationToken);
    const refs = {
      application_id: '6d5db27e-4ce2-4b2b-b5d7-91f069397978',
      device_profile_id: '1c0ffee0-4ce2-4b2b-b5d7-91f069397978',
    };
    const body = (device_id: string, dev_eui: string) => ({
      run_id: queued.id,
      action_id: 'lorawan',
      device_id,
      chirpstack: { dev_eui, ...refs },
    });
    const outside = await runner.post(
      `/automation-runs/${queued.id}/device-refs`,
      body('dev_soil-elsewhere', '70b3d57ed0000099'),
    );
    expect(outside.statusCode).toBe(400);
    expect(outside.json().issues).toEqual([
      {
        path: 'body.device_id',
        message: `device dev_soil-elsewhere is not a device of deployment ${dep.deployment} or its site`,
      },
    ]);
    const taken = await runner.post(`/automation-runs/${queued.id}/device-refs`, body('dev_soil-2', EUI_1));
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toBe(`DevEUI ${EUI_1} already belongs to device dev_soil-1`);
    const first = await must(runner.post(`/automation-runs/${queued.id}/device-refs`, body('dev_soil-1', EUI_1)), 200);
    expect(first).toMatchObject({
      device_id: 'dev_soil-1',
      changed: true,
      external_refs: { rfid: { station_id: 'keep-me' }, chirpstack: { dev_eui: EUI_1, ...refs } },
    });
    const repeat = await must(runner.post(`/automation-runs/${queued.id}/device-refs`, body('dev_soil-1', EUI_1)), 200);
    expect(repeat.changed).toBe(false);
    const viewer = client(t.app, await bearer(t.ctx.db, 'viewer', dep.customer));
    expect((await viewer.post(`/automation-runs/${queued.id}/device-refs`, body('dev_soil-1', EUI_1))).statusCode).toBe(
      403,
    );
  });
});
