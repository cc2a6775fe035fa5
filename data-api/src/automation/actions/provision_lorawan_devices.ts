// provision_lorawan_devices: ChirpStack v4 is the truth for LoRaWAN identities (contracts.md);
// fleetbook pushes what a deployment needs into it through ChirpStack's gRPC API:
//   TenantService/Get                        the tenant exists and the key reaches it
//   ApplicationService/List|Get|Create|Update     by name in the tenant (or by id)
//   DeviceProfileService/List|Get|Create|Update   by name in the tenant
//   DeviceService/Get|Create|Update          by DevEUI
//   DeviceService/GetKeys|CreateKeys|UpdateKeys   OTAA root keys
// Everything is read first and written only when it differs, so a second run changes nothing
// and says so. Updates start from what ChirpStack holds and change only the fields fleetbook
// manages (a measurement or a tag set in ChirpStack's UI survives). Then each registry device
// gets external_refs.chirpstack = { dev_eui, application_id, device_profile_id } (write-back).
import fs from 'node:fs';
import type { Map as JspbMap } from 'google-protobuf';
import applicationPb from '@chirpstack/chirpstack-api/api/application_pb.js';
import devicePb from '@chirpstack/chirpstack-api/api/device_pb.js';
import deviceProfilePb from '@chirpstack/chirpstack-api/api/device_profile_pb.js';
import tenantPb from '@chirpstack/chirpstack-api/api/tenant_pb.js';
import commonPb from '@chirpstack/chirpstack-api/common/common_pb.js';
import { ChirpstackApi, isNotFound } from '../chirpstack-api.ts';
import {
  provisionLorawanDevicesDefinition,
  type LorawanDevice,
  type ProvisionLorawanDevicesWith,
} from '../../contracts/actions/provision_lorawan_devices.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

type Outcome = 'created' | 'updated' | 'unchanged';
type Tagged = { getTagsMap(): JspbMap<string, string> };

const REGION: Record<ProvisionLorawanDevicesWith['device_profile']['region'], number> = {
  EU868: commonPb.Region.EU868,
  US915: commonPb.Region.US915,
  AS923_1: commonPb.Region.AS923,
  AS923_2: commonPb.Region.AS923_2,
  AS923_3: commonPb.Region.AS923_3,
  AS923_4: commonPb.Region.AS923_4,
};
const MAC_VERSION = (v: string): number =>
  commonPb.MacVersion[`LORAWAN_${v.replaceAll('.', '_')}` as keyof typeof commonPb.MacVersion];
const REVISION = (v: string): number =>
  commonPb.RegParamsRevision[v.replace(/[-.]/g, '_') as keyof typeof commonPb.RegParamsRevision];
const CODEC: Record<string, number> = {
  none: deviceProfilePb.CodecRuntime.NONE,
  cayenne_lpp: deviceProfilePb.CodecRuntime.CAYENNE_LPP,
  js: deviceProfilePb.CodecRuntime.JS,
};
const ZERO_KEY = '00000000000000000000000000000000';
const KEY = /^[0-9a-fA-F]{32}$/;

/** ChirpStack's maps (tags, variables) as a plain object. */
const mapOf = (m: { toArray(): Array<[string, string]> }): Record<string, string> => Object.fromEntries(m.toArray());

/** Tags fleetbook wants, merged over what ChirpStack holds; true when a value changes. */
function mergeTags(message: Tagged, wanted: Record<string, string>): boolean {
  const map = message.getTagsMap();
  const current = mapOf(map);
  let changed = false;
  for (const [k, v] of Object.entries(wanted)) {
    if (current[k] !== v) {
      map.set(k, v);
      changed = true;
    }
  }
  return changed;
}

/** Field-by-field differences, for the log (names only: values may be keys). */
function differences(pairs: Array<[string, unknown, unknown]>): string[] {
  return pairs.filter(([, have, want]) => have !== want).map(([name]) => name);
}

type Ctx = ActionContext<ProvisionLorawanDevicesWith>;
/** A device's OTAA root keys as ChirpStack stores them. */
type RootKeys = { nwk: string; app: string };
type DeviceResult = { device: string; dev_eui: string; device_outcome: Outcome; keys_outcome: Outcome };
type Provisioned = { id: string; outcome: Outcome };

async function execute(ctx: Ctx) {
  const w = ctx.with;
  const token = ctx.secrets.resolve(w.api_token).trim();
  // Keys and the codec are read (and checked) before anything is sent: a missing secret changes nothing.
  const keys = readRootKeys(ctx);
  const codecScript = readCodecScript(w.device_profile.payload_codec_script_file);

  const cs = new ChirpstackApi({
    server: w.server,
    token,
    tls: w.tls,
    caFile: w.ca_file,
    callTimeoutMs: w.call_timeout_s * 1000,
    signal: ctx.signal,
  });
  try {
    await checkTenant(cs, ctx);
    const application = await ensureApplication(cs, ctx);
    const profile = await ensureDeviceProfile(cs, ctx, codecScript);
    const writes: string[] = [];
    if (application.outcome !== 'unchanged') writes.push(`application ${application.outcome}`);
    if (profile.outcome !== 'unchanged') writes.push(`device profile ${profile.outcome}`);

    // The application's devices, by listing: with a tenant key ChirpStack answers a Get of a DevEUI
    // it does not hold as UNAUTHENTICATED (its validator finds no row the key may read), not NOT_FOUND.
    const inApplication = await applicationDevEuis(cs, application.id);
    const results: DeviceResult[] = [];
    for (const d of w.devices) {
      const deviceOutcome = await ensureDevice(cs, ctx, d, application.id, profile.id, inApplication.has(d.dev_eui));
      const keysOutcome = await ensureRootKeys(cs, ctx, d, keys.get(d.dev_eui)!, deviceOutcome);
      if (deviceOutcome !== 'updated') {
        ctx.log(
          `device ${d.dev_eui} (${d.device}): ${deviceOutcome}${keysOutcome === 'created' ? ', OTAA keys set' : keysOutcome === 'unchanged' ? ', keys unchanged' : ''}`,
        );
      }
      results.push({ device: d.device, dev_eui: d.dev_eui, device_outcome: deviceOutcome, keys_outcome: keysOutcome });
    }

    await writeBackRefs(ctx, results, application.id, profile.id);
    const { changed, summary } = summarise(writes, results);
    ctx.log(summary);
    return {
      outputs: {
        tenant_id: w.tenant_id,
        application_id: application.id,
        application: application.outcome,
        device_profile_id: profile.id,
        device_profile: profile.outcome,
        devices: results,
        changed,
      },
      summary,
    };
  } finally {
    cs.close();
  }
}

/** Each device's root keys from its secrets, by DevEUI; a key that is not 32 hex digits stops the run. */
function readRootKeys(ctx: Ctx): Map<string, RootKeys> {
  const w = ctx.with;
  const keys = new Map<string, RootKeys>();
  const v11 = w.device_profile.mac_version.startsWith('1.1');
  for (const [i, d] of w.devices.entries()) {
    const read = (ref: NonNullable<LorawanDevice['nwk_key']>, field: string) => {
      const value = ctx.secrets.resolve(ref).trim();
      if (!KEY.test(value))
        throw new ActionError(`devices[${i}].${field} (${ref.secret}) must be 32 hex digits (an AES-128 key)`);
      return value.toLowerCase();
    };
    const appKey = read(d.app_key, 'app_key');
    if (d.nwk_key && !v11)
      throw new ActionError(
        `devices[${i}].nwk_key is for LoRaWAN 1.1 devices; this profile is ${w.device_profile.mac_version}`,
      );
    if (v11 && !d.nwk_key)
      throw new ActionError(`devices[${i}].nwk_key is required: LoRaWAN 1.1 devices have a NwkKey and an AppKey`);
    // ChirpStack keeps the 1.0.x AppKey in nwk_key (its device.proto: "For LoRaWAN 1.0.x, use
    // this field for the LoRaWAN 1.0.x 'AppKey'"); app_key is for 1.1 only.
    keys.set(d.dev_eui, v11 ? { nwk: read(d.nwk_key!, 'nwk_key'), app: appKey } : { nwk: appKey, app: '' });
  }
  return keys;
}

function readCodecScript(file: string | undefined): string {
  if (!file) return '';
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ActionError(
      `payload_codec_script_file ${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The tenant exists and the key reaches it (the first call: a wrong key fails here, before any write). */
async function checkTenant(cs: ChirpstackApi, ctx: Ctx): Promise<void> {
  const w = ctx.with;
  ctx.log(`ChirpStack API ${w.server}${w.tls ? ' (TLS)' : ''}, tenant ${w.tenant_id}`);
  const tenantReq = new tenantPb.GetTenantRequest();
  tenantReq.setId(w.tenant_id);
  const tenant = await cs.call('TenantService/Get', cs.tenants.get.bind(cs.tenants), tenantReq);
  ctx.log(`tenant "${tenant.getTenant()?.getName()}"`);
}

/** The application by id, or by name in the tenant: created when missing, updated when it differs. */
async function ensureApplication(cs: ChirpstackApi, ctx: Ctx): Promise<Provisioned> {
  const w = ctx.with;
  const app = w.application;
  const applicationId = app.id || (await findApplicationId(cs, ctx));
  let outcome: Outcome = 'unchanged';
  let id: string;
  if (!applicationId) {
    const a = new applicationPb.Application();
    a.setTenantId(w.tenant_id);
    a.setName(app.name);
    a.setDescription(app.description);
    mergeTags(a, app.tags);
    const req = new applicationPb.CreateApplicationRequest();
    req.setApplication(a);
    id = (await cs.call('ApplicationService/Create', cs.applications.create.bind(cs.applications), req)).getId();
    outcome = 'created';
  } else {
    id = applicationId;
    if (await updateApplication(cs, ctx, id)) outcome = 'updated';
  }
  if (outcome !== 'updated') ctx.log(`application "${app.name}" ${id}: ${outcome}`);
  return { id, outcome };
}

/** The id of the one application with this name in the tenant; undefined when there is none. */
async function findApplicationId(cs: ChirpstackApi, ctx: Ctx): Promise<string | undefined> {
  const w = ctx.with;
  const app = w.application;
  const list = new applicationPb.ListApplicationsRequest();
  list.setTenantId(w.tenant_id);
  list.setSearch(app.name);
  list.setLimit(100);
  const found = (await cs.call('ApplicationService/List', cs.applications.list.bind(cs.applications), list))
    .getResultList()
    .filter((a) => a.getName() === app.name);
  if (found.length > 1) {
    throw new ActionError(
      `${found.length} applications are named "${app.name}" in tenant ${w.tenant_id} (${found.map((a) => a.getId()).join(', ')}): set application.id`,
    );
  }
  return found[0]?.getId();
}

/** Brings an existing application to the spec; true when it had to be written. */
async function updateApplication(cs: ChirpstackApi, ctx: Ctx, applicationId: string): Promise<boolean> {
  const w = ctx.with;
  const app = w.application;
  const req = new applicationPb.GetApplicationRequest();
  req.setId(applicationId);
  const a = (await cs.call('ApplicationService/Get', cs.applications.get.bind(cs.applications), req)).getApplication()!;
  if (a.getTenantId() !== w.tenant_id)
    throw new ActionError(`application ${applicationId} belongs to tenant ${a.getTenantId()}, not ${w.tenant_id}`);
  const diff = differences([
    ['name', a.getName(), app.name],
    ['description', a.getDescription(), app.description],
  ]);
  a.setName(app.name);
  a.setDescription(app.description);
  if (mergeTags(a, app.tags)) diff.push('tags');
  if (!diff.length) return false;
  const up = new applicationPb.UpdateApplicationRequest();
  up.setApplication(a);
  await cs.call('ApplicationService/Update', cs.applications.update.bind(cs.applications), up);
  ctx.log(`application "${app.name}" ${applicationId}: updated ${diff.join(', ')}`);
  return true;
}

/** The device profile, by name in the tenant: created when missing, updated when a managed field differs. */
async function ensureDeviceProfile(cs: ChirpstackApi, ctx: Ctx, codecScript: string): Promise<Provisioned> {
  const w = ctx.with;
  const p = w.device_profile;
  let profileId = await findDeviceProfileId(cs, ctx);
  let dp = new deviceProfilePb.DeviceProfile();
  if (profileId) {
    const req = new deviceProfilePb.GetDeviceProfileRequest();
    req.setId(profileId);
    dp = (
      await cs.call('DeviceProfileService/Get', cs.deviceProfiles.get.bind(cs.deviceProfiles), req)
    ).getDeviceProfile()!;
  } else {
    dp.setTenantId(w.tenant_id);
  }
  const wanted = profileFields(dp, p, codecScript);
  const dpDiff = wanted.filter(([, have, want]) => have !== want).map(([name]) => name);
  for (const [, , , set] of wanted) set(dp);
  if (mergeTags(dp, p.tags)) dpDiff.push('tags');
  if (!profileId) {
    const req = new deviceProfilePb.CreateDeviceProfileRequest();
    req.setDeviceProfile(dp);
    profileId = (
      await cs.call('DeviceProfileService/Create', cs.deviceProfiles.create.bind(cs.deviceProfiles), req)
    ).getId();
    ctx.log(
      `device profile "${p.name}" ${profileId}: created (${p.region}, LoRaWAN ${p.mac_version}, revision ${p.reg_params_revision}, OTAA)`,
    );
    return { id: profileId, outcome: 'created' };
  }
  if (dpDiff.length) {
    const req = new deviceProfilePb.UpdateDeviceProfileRequest();
    req.setDeviceProfile(dp);
    await cs.call('DeviceProfileService/Update', cs.deviceProfiles.update.bind(cs.deviceProfiles), req);
    ctx.log(`device profile "${p.name}" ${profileId}: updated ${dpDiff.join(', ')}`);
    return { id: profileId, outcome: 'updated' };
  }
  ctx.log(`device profile "${p.name}" ${profileId}: unchanged`);
  return { id: profileId, outcome: 'unchanged' };
}

async function findDeviceProfileId(cs: ChirpstackApi, ctx: Ctx): Promise<string | undefined> {
  const w = ctx.with;
  const p = w.device_profile;
  const dpList = new deviceProfilePb.ListDeviceProfilesRequest();
  dpList.setTenantId(w.tenant_id);
  dpList.setSearch(p.name);
  dpList.setTenantOnly(true);
  dpList.setLimit(100);
  const dpFound = (await cs.call('DeviceProfileService/List', cs.deviceProfiles.list.bind(cs.deviceProfiles), dpList))
    .getResultList()
    .filter((d) => d.getName() === p.name);
  if (dpFound.length > 1)
    throw new ActionError(
      `${dpFound.length} device profiles are named "${p.name}" in tenant ${w.tenant_id}: rename one in ChirpStack`,
    );
  return dpFound[0]?.getId();
}

type DeviceProfileMessage = InstanceType<typeof deviceProfilePb.DeviceProfile>;

/** The profile fields fleetbook manages: name, what ChirpStack holds, what the spec wants, and the setter. */
function profileFields(
  dp: DeviceProfileMessage,
  p: ProvisionLorawanDevicesWith['device_profile'],
  codecScript: string,
): Array<[string, unknown, unknown, (m: DeviceProfileMessage) => void]> {
  return [
    ['name', dp.getName(), p.name, (m) => m.setName(p.name)],
    ['description', dp.getDescription(), p.description, (m) => m.setDescription(p.description)],
    ['region', dp.getRegion(), REGION[p.region], (m) => m.setRegion(REGION[p.region] as never)],
    [
      'region_config_id',
      dp.getRegionConfigId(),
      p.region_config_id ?? '',
      (m) => m.setRegionConfigId(p.region_config_id ?? ''),
    ],
    [
      'mac_version',
      dp.getMacVersion(),
      MAC_VERSION(p.mac_version),
      (m) => m.setMacVersion(MAC_VERSION(p.mac_version) as never),
    ],
    [
      'reg_params_revision',
      dp.getRegParamsRevision(),
      REVISION(p.reg_params_revision),
      (m) => m.setRegParamsRevision(REVISION(p.reg_params_revision) as never),
    ],
    ['adr_algorithm_id', dp.getAdrAlgorithmId(), p.adr_algorithm_id, (m) => m.setAdrAlgorithmId(p.adr_algorithm_id)],
    ['uplink_interval', dp.getUplinkInterval(), p.uplink_interval_s, (m) => m.setUplinkInterval(p.uplink_interval_s)],
    ['supports_otaa', dp.getSupportsOtaa(), true, (m) => m.setSupportsOtaa(true)],
    ['supports_class_c', dp.getSupportsClassC(), p.supports_class_c, (m) => m.setSupportsClassC(p.supports_class_c)],
    [
      'payload_codec_runtime',
      dp.getPayloadCodecRuntime(),
      CODEC[p.payload_codec],
      (m) => m.setPayloadCodecRuntime(CODEC[p.payload_codec] as never),
    ],
    ['payload_codec_script', dp.getPayloadCodecScript(), codecScript, (m) => m.setPayloadCodecScript(codecScript)],
  ];
}

/** Every DevEUI in the application (lower case), page by page. */
async function applicationDevEuis(cs: ChirpstackApi, applicationId: string): Promise<Set<string>> {
  const inApplication = new Set<string>();
  for (let offset = 0; ; offset += 100) {
    const list = new devicePb.ListDevicesRequest();
    list.setApplicationId(applicationId);
    list.setLimit(100);
    list.setOffset(offset);
    const page = await cs.call('DeviceService/List', cs.devices.list.bind(cs.devices), list);
    for (const item of page.getResultList()) inApplication.add(item.getDevEui().toLowerCase());
    if (!page.getResultList().length || offset + 100 >= page.getTotalCount()) break;
  }
  return inApplication;
}

/** One device: created when the application does not hold it, updated when a managed field differs. */
async function ensureDevice(
  cs: ChirpstackApi,
  ctx: Ctx,
  d: LorawanDevice,
  applicationId: string,
  profileId: string,
  inApplication: boolean,
): Promise<Outcome> {
  const name = d.name ?? d.device;
  const tags = { fleetbook_device: d.device, ...d.tags };
  let existing: InstanceType<typeof devicePb.Device> | undefined;
  if (inApplication) {
    const get = new devicePb.GetDeviceRequest();
    get.setDevEui(d.dev_eui);
    existing = (await cs.call('DeviceService/Get', cs.devices.get.bind(cs.devices), get)).getDevice();
  }
  if (!existing) {
    const dev = new devicePb.Device();
    dev.setDevEui(d.dev_eui);
    dev.setName(name);
    dev.setDescription(d.description);
    dev.setApplicationId(applicationId);
    dev.setDeviceProfileId(profileId);
    if (d.join_eui) dev.setJoinEui(d.join_eui);
    mergeTags(dev, tags);
    await createDevice(cs, ctx, d, dev, applicationId);
    return 'created';
  }
  const diff = differences([
    ['name', existing.getName(), name],
    ['description', existing.getDescription(), d.description],
    ['device_profile_id', existing.getDeviceProfileId(), profileId],
    ...(d.join_eui
      ? ([['join_eui', existing.getJoinEui().toLowerCase(), d.join_eui]] as Array<[string, unknown, unknown]>)
      : []),
  ]);
  existing.setName(name);
  existing.setDescription(d.description);
  existing.setDeviceProfileId(profileId);
  if (d.join_eui) existing.setJoinEui(d.join_eui);
  if (mergeTags(existing, tags)) diff.push('tags');
  if (!diff.length) return 'unchanged';
  const req = new devicePb.UpdateDeviceRequest();
  req.setDevice(existing);
  await cs.call('DeviceService/Update', cs.devices.update.bind(cs.devices), req);
  ctx.log(`device ${d.dev_eui} (${d.device}): updated ${diff.join(', ')}`);
  return 'updated';
}

async function createDevice(
  cs: ChirpstackApi,
  ctx: Ctx,
  d: LorawanDevice,
  dev: InstanceType<typeof devicePb.Device>,
  applicationId: string,
): Promise<void> {
  const req = new devicePb.CreateDeviceRequest();
  req.setDevice(dev);
  try {
    await cs.call('DeviceService/Create', cs.devices.create.bind(cs.devices), req);
  } catch (err) {
    // Not in this application but known to ChirpStack: moving it would re-route its
    // uplinks, so it is never done silently.
    if (/duplicate key value violates unique constraint "device_pkey"/.test((err as Error).message)) {
      throw new ActionError(
        `DevEUI ${d.dev_eui} (${d.device}) already exists in ChirpStack, in another application than "${ctx.with.application.name}" (${applicationId}): move or delete it there first`,
      );
    }
    throw err;
  }
}

/** The device's OTAA root keys: set when it has none, replaced when they differ. */
async function ensureRootKeys(
  cs: ChirpstackApi,
  ctx: Ctx,
  d: LorawanDevice,
  key: RootKeys,
  deviceOutcome: Outcome,
): Promise<Outcome> {
  const getKeys = new devicePb.GetDeviceKeysRequest();
  getKeys.setDevEui(d.dev_eui);
  let current: InstanceType<typeof devicePb.DeviceKeys> | undefined;
  if (deviceOutcome !== 'created') {
    try {
      current = (await cs.call('DeviceService/GetKeys', cs.devices.getKeys.bind(cs.devices), getKeys)).getDeviceKeys();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const dk = new devicePb.DeviceKeys();
  dk.setDevEui(d.dev_eui);
  dk.setNwkKey(key.nwk);
  dk.setAppKey(key.app);
  if (!current) {
    const req = new devicePb.CreateDeviceKeysRequest();
    req.setDeviceKeys(dk);
    await cs.call('DeviceService/CreateKeys', cs.devices.createKeys.bind(cs.devices), req);
    return 'created';
  }
  // An empty key is stored (and read back) as zeros.
  const norm = (k: string) => (k === '' ? ZERO_KEY : k.toLowerCase());
  const keyDiff = differences([
    ['nwk_key', norm(current.getNwkKey()), norm(key.nwk)],
    ['app_key', norm(current.getAppKey()), norm(key.app)],
  ]);
  if (!keyDiff.length) return 'unchanged';
  // Keep gen_app_key (TS005 multicast) as ChirpStack holds it.
  dk.setGenAppKey(current.getGenAppKey() === ZERO_KEY ? '' : current.getGenAppKey());
  const req = new devicePb.UpdateDeviceKeysRequest();
  req.setDeviceKeys(dk);
  await cs.call('DeviceService/UpdateKeys', cs.devices.updateKeys.bind(cs.devices), req);
  ctx.log(`device ${d.dev_eui} (${d.device}): OTAA keys replaced (${keyDiff.join(', ')} differed)`);
  return 'updated';
}

/** Each registry device learns its ChirpStack identity (external_refs.chirpstack). */
async function writeBackRefs(
  ctx: Ctx,
  results: DeviceResult[],
  applicationId: string,
  profileId: string,
): Promise<void> {
  for (const r of results) {
    await ctx.reporter.setDeviceRefs({
      run_id: ctx.runId,
      action_id: ctx.action.id,
      device_id: r.device,
      chirpstack: { dev_eui: r.dev_eui, application_id: applicationId, device_profile_id: profileId },
    });
  }
  ctx.log(`registry: external_refs.chirpstack sent for ${results.length} device${results.length === 1 ? '' : 's'}`);
}

/** How many writes the run made, and the summary line (a second run says it changed nothing). */
function summarise(writes: string[], results: DeviceResult[]): { changed: number; summary: string } {
  const count = (o: Outcome) => results.filter((r) => r.device_outcome === o).length;
  const keyCount = (o: Outcome) => results.filter((r) => r.keys_outcome === o).length;
  const changed =
    writes.length + results.filter((r) => r.device_outcome !== 'unchanged' || r.keys_outcome !== 'unchanged').length;
  const summary = changed
    ? `ChirpStack: ${[...writes, `${count('created')} devices created, ${count('updated')} updated, ${count('unchanged')} unchanged`, `keys ${keyCount('created')} set, ${keyCount('updated')} replaced`].join('; ')}`
    : `ChirpStack already as specified: nothing changed (application, device profile, ${results.length} devices and their keys)`;
  return { changed, summary };
}

export const provisionLorawanDevices: ActionModule<ProvisionLorawanDevicesWith> = {
  definition: provisionLorawanDevicesDefinition,
  execute,
  plan: (w) => [
    `ChirpStack API ${w.server}${w.tls ? ' (TLS)' : ''}, tenant ${w.tenant_id}, key from ${w.api_token.secret}`,
    `application "${w.application.name}"${w.application.id ? ` (${w.application.id})` : ''}: create if missing, update if it differs`,
    `device profile "${w.device_profile.name}" (${w.device_profile.region}, LoRaWAN ${w.device_profile.mac_version}, OTAA): create or update`,
    `${w.devices.length} device${w.devices.length === 1 ? '' : 's'} with OTAA keys (${w.devices.map((d) => d.dev_eui).join(', ')}): create or update, keys from ${[...new Set(w.devices.map((d) => d.app_key.secret))].slice(0, 3).join(', ')}${w.devices.length > 3 ? ', …' : ''}`,
    'then write external_refs.chirpstack back to the registry devices',
  ],
};
