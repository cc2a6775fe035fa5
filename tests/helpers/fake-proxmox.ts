import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Proxmox VE API, implementing the endpoints provision_vm uses as the
 * API viewer documents them: replies wrapped in `{ "data": … }`, errors as HTTP status + reason
 * phrase (and `{ "errors": {…}, "data": null }` for parameter errors), form-encoded bodies,
 * asynchronous tasks (UPID) that are `running` for a few polls and then `stopped`, and the
 * `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` header.
 *
 * Parameters are checked as Proxmox checks them (pve-common PVE/JSONSchema.pm; qemu-server
 * PVE/API2/Qemu.pm, PVE/QemuServer.pm, QemuServer/Network.pm and Memory.pm; pve-access-control's
 * pool names), with Proxmox's messages: unknown parameters, pve-vmid, dns-name, pve-node,
 * pve-storage-id, pve-poolid, the ipconfig property string (ip: dhcp/manual/IPv4 CIDR /8–/32,
 * gw: IPv4 and requires ip, ip6: auto/dhcp/manual/IPv6 CIDR /8–/128, gw6: IPv6 and requires
 * ip6), address-list, integer minimums (cores, sockets ≥ 1; memory current ≥ 16 MiB), urlencoded,
 * the drive enumeration and size pattern of resize. Then what the code refuses: a pool that does
 * not exist (403), an unknown target node, a storage that does not exist or holds no VM images,
 * storage/format with a linked clone, a cross-node clone of a VM on local storage or onto
 * non-shared storage, a VM asked for on a node it is not on, a resize that would shrink or names
 * a disk the VM does not have (the resize task fails).
 */
export interface FakeProxmoxOptions {
  /** The token the API accepts: USER@REALM!TOKENID=SECRET. */
  token: string;
  node?: string;
  templates?: number[];
  nextId?: number;
  /** Status polls a task answers `running` before `stopped` (default 2). */
  taskPolls?: number;
  /** Task type → exitstatus other than OK (e.g. { qmstart: 'start failed: …' }). */
  failTask?: Partial<Record<'qmclone' | 'qmconfig' | 'qmstart' | 'resize', string>>;
  /** Tasks never stop (for timeouts). */
  hangTasks?: boolean;
  /** network-get-interfaces answers "QEMU guest agent is not running" this many times first. */
  agentFailures?: number;
  /** The clone answers 400 "Parameter verification failed." with these errors (e.g. an older PVE). */
  cloneParamErrors?: Record<string, string>;
  /** Cluster nodes (default: node and pve2). */
  nodes?: string[];
  /** Storages: shared or local, holding VM images or not (default: local-lvm, local, ceph). */
  storages?: Record<string, { shared: boolean; images: boolean }>;
  /** Resource pools that exist (default: lorawan). */
  pools?: string[];
  /** Template id → the storage its disk scsi0 (8 GiB) is on (default: local-lvm). */
  templateStorage?: Record<number, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  authorization: string | undefined;
  contentType: string | undefined;
}

interface Vm {
  name: string;
  node: string;
  template: boolean;
  running: boolean;
  config: Record<string, string>;
  /** disk → where it is and its size in bytes. */
  disks: Record<string, { storage: string; bytes: number }>;
  pool?: string;
}

interface Task {
  upid: string;
  type: string;
  id: string;
  node: string;
  polls: number;
  exitstatus: string;
  /** Applies the task's work; a returned text is the task's error (its exitstatus). */
  onDone?: () => string | void;
}

export interface FakeProxmox {
  url: string;
  requests: RecordedRequest[];
  vms: Map<number, Vm>;
  close(): Promise<void>;
}

const GiB = 1024 ** 3;
const UNIT: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: GiB, T: 1024 ** 4 };

// ---------------------------------------------------------------------------------------
// Parameter verification as PVE::JSONSchema does it: each rule returns Proxmox's message.

type Rule = (value: string, form: Record<string, string>) => string | undefined;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const DNS = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const isIpv6 = (v: string) => {
  if (!/^[0-9A-Fa-f:.]+$/.test(v) || (v.match(/::/g) ?? []).length > 1) return false;
  let groups = v.split(':');
  if (groups.at(-1)!.includes('.')) {
    if (!IPV4.test(groups.at(-1)!)) return false;
    groups = [...groups.slice(0, -1), '0', '0'];
  }
  const hex = (x: string) => /^[0-9A-Fa-f]{1,4}$/.test(x);
  return v.includes('::')
    ? groups.filter((x) => x !== '').length <= 7 && groups.filter((x) => x !== '').every(hex)
    : groups.length === 8 && groups.every(hex);
};
const cidr = (v: string, isAddr: (a: string) => boolean, max: number) => {
  const m = /^(.+)\/(\d+)$/.exec(v);
  return !!m && isAddr(m[1]!) && Number(m[2]) > 7 && Number(m[2]) <= max;
};
const invalid = (msg: string) => `invalid format - ${msg}\n`;
const integer =
  (min: number): Rule =>
  (v) =>
    !/^[+-]?\d+$/.test(v)
      ? `type check ('integer') failed - got '${v}'`
      : Number(v) < min
        ? `value must have a minimum value of ${min}`
        : undefined;
const boolean: Rule = (v) =>
  /^(0|1|true|false|yes|no|on|off)$/i.test(v) ? undefined : `type check ('boolean') failed - got '${v}'`;
const str: Rule = () => undefined;
const vmidRule: Rule = (v) =>
  !/^[+-]?\d+$/.test(v)
    ? `type check ('integer') failed - got '${v}'`
    : /^[1-9][0-9]{2,8}$/.test(v)
      ? undefined
      : invalid('value does not look like a valid VM ID');
const dnsName: Rule = (v) => (DNS.test(v) ? undefined : invalid('value does not look like a valid DNS name'));
const nodeRule: Rule = (v) =>
  /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v)
    ? undefined
    : invalid('value does not look like a valid node name');
const storageId: Rule = (v) =>
  v.length < 2
    ? invalid(`storage ID '${v}' cannot be shorter than 2 characters`)
    : /^[a-z][a-z0-9_.-]*[a-z0-9]$/i.test(v)
      ? undefined
      : invalid(`storage ID '${v}' contains illegal characters`);
const poolId: Rule = (v) =>
  /^[A-Za-z0-9._-]+$/.test(v) ? undefined : invalid(`pool name '${v}' contains invalid characters`);
const enumOf =
  (values: string[]): Rule =>
  (v) =>
    values.includes(v) ? undefined : `value '${v}' does not have a value in the enumeration '${values.join(', ')}'`;
const urlencoded: Rule = (v) =>
  /^[-%a-zA-Z0-9_.!~*'()]*$/.test(v) ? undefined : invalid(`invalid urlencoded string: ${v}`);
/** address-list: split on , ; and spaces, each an IP or a DNS name. */
const addressList: Rule = (v) => {
  const bad = v
    .replace(/[,;]/g, ' ')
    .trim()
    .split(/\s+/)
    .find((a) => !(IPV4.test(a) || isIpv6(a) || DNS.test(a)));
  return bad === undefined ? undefined : invalid(`value does not look like a valid address: ${bad}`);
};

/** A property string (key=value,…) against its format, as parse_property_string reports it. */
function propertyString(
  path: string,
  fields: Record<string, { check: (v: string) => string | undefined; requires?: string }>,
  defaultKey?: string,
): Rule {
  return (value) => {
    const parsed: Record<string, string> = {};
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      const [k, v] = eq < 0 ? [defaultKey, part] : [part.slice(0, eq), part.slice(eq + 1)];
      if (k === undefined) return invalid('value without key, but schema does not define a default key');
      if (!fields[k]) return invalid(`invalid key in comma-separated list property: ${k}`);
      if (parsed[k] !== undefined) return invalid(`duplicate key in comma-separated list property: ${k}`);
      parsed[k] = v;
    }
    const errors: string[] = [];
    for (const [k, v] of Object.entries(parsed)) {
      const field = fields[k]!;
      if (field.requires && parsed[field.requires] === undefined)
        errors.push(`${path}.${field.requires}: missing property required by '${path}.${k}'`);
      const problem = field.check(v);
      if (problem) errors.push(`${path}.${k}: ${problem}`);
    }
    // PVE::Exception's text: the message, then one "key: error" line per error.
    return errors.length ? `invalid format - format error\n${errors.map((e) => `${e}\n`).join('')}` : undefined;
  };
}

const ipconfig = (i: number) =>
  propertyString(`ipconfig${i}`, {
    ip: {
      check: (v) =>
        /^(dhcp|manual)$/.test(v) || cidr(v, (a) => IPV4.test(a), 32)
          ? undefined
          : invalid('value does not look like a valid ipv4 network configuration'),
    },
    gw: {
      check: (v) => (IPV4.test(v) ? undefined : invalid('value does not look like a valid IPv4 address')),
      requires: 'ip',
    },
    ip6: {
      check: (v) =>
        /^(auto|dhcp|manual)$/.test(v) || cidr(v, isIpv6, 128)
          ? undefined
          : invalid('value does not look like a valid ipv6 network configuration'),
    },
    gw6: {
      check: (v) => (isIpv6(v) ? undefined : invalid('value does not look like a valid IPv6 address')),
      requires: 'ip6',
    },
  });

const DRIVES = [
  ...[0, 1, 2, 3].map((i) => `ide${i}`),
  ...Array.from({ length: 6 }, (_, i) => `sata${i}`),
  ...Array.from({ length: 31 }, (_, i) => `scsi${i}`),
  ...Array.from({ length: 16 }, (_, i) => `virtio${i}`),
  'efidisk0',
  'tpmstate0',
];

const CLONE_PARAMS: Record<string, Rule> = {
  newid: vmidRule,
  name: dnsName,
  description: str,
  pool: poolId,
  snapname: str,
  storage: storageId,
  format: enumOf(['raw', 'qcow2', 'vmdk']),
  full: boolean,
  target: nodeRule,
  bwlimit: integer(0),
};
const CONFIG_PARAMS: Record<string, Rule> = {
  ...Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`ipconfig${i}`, ipconfig(i)])),
  nameserver: addressList,
  searchdomain: str,
  cores: integer(1),
  sockets: integer(1),
  memory: propertyString('memory', { current: { check: (v) => integer(16)(v, {}) } }, 'current'),
  ciuser: str,
  sshkeys: urlencoded,
  name: dnsName,
  description: str,
};
const RESIZE_PARAMS: Record<string, Rule> = {
  disk: enumOf(DRIVES),
  size: (v) => (/^\+?\d+(\.\d+)?[KMGT]?$/.test(v) ? undefined : 'value does not match the regex pattern'),
};

/** PVE::JSONSchema::validate: every problem, keyed by parameter; undefined when none. */
function verify(
  form: Record<string, string>,
  rules: Record<string, Rule>,
  required: string[],
): Record<string, string> | undefined {
  const errors: Record<string, string> = {};
  for (const k of required) if (form[k] === undefined) errors[k] = 'property is missing and it is not optional';
  for (const [k, v] of Object.entries(form)) {
    const rule = rules[k];
    if (!rule) errors[k] = 'property is not defined in schema and the schema does not allow additional properties';
    else {
      const problem = rule(v, form);
      if (problem) errors[k] = problem;
    }
  }
  return Object.keys(errors).length ? errors : undefined;
}

export async function startFakeProxmox(opts: FakeProxmoxOptions): Promise<FakeProxmox> {
  const node = opts.node ?? 'pve1';
  const nodes = opts.nodes ?? [node, 'pve2'];
  const storages = opts.storages ?? {
    'local-lvm': { shared: false, images: true },
    local: { shared: false, images: false },
    ceph: { shared: true, images: true },
  };
  const pools = new Set(opts.pools ?? ['lorawan']);
  const vms = new Map<number, Vm>();
  for (const id of opts.templates ?? [9000]) {
    const storage = opts.templateStorage?.[id] ?? 'local-lvm';
    vms.set(id, {
      name: `template-${id}`,
      node,
      template: true,
      running: false,
      config: {},
      disks: { scsi0: { storage, bytes: 8 * GiB } },
    });
  }
  const tasks = new Map<string, Task>();
  /** A VM as the node in the path sees it: Proxmox keeps configs per node. */
  const vmOn = (nodeName: string, vmid: number): Vm | string => {
    const vm = vms.get(vmid);
    if (!vm) return `VM ${vmid} does not exist`;
    if (vm.node !== nodeName) return `Configuration file 'nodes/${nodeName}/qemu-server/${vmid}.conf' does not exist`;
    return vm;
  };
  const requests: RecordedRequest[] = [];
  let nextId = opts.nextId ?? 123;
  let pid = 0x1000;
  let agentCalls = 0;
  const user = opts.token.split('=')[0]!;

  const newTask = (type: string, id: string, onDone?: () => string | void, taskNode = node): string => {
    pid++;
    const start = Math.floor(Date.now() / 1000);
    const upid = `UPID:${taskNode}:${pid.toString(16).toUpperCase().padStart(8, '0')}:${(pid * 7).toString(16).toUpperCase().padStart(8, '0')}:${start.toString(16).toUpperCase()}:${type}:${id}:${user}:`;
    tasks.set(upid, {
      upid,
      type,
      id,
      node: taskNode,
      polls: 0,
      exitstatus: opts.failTask?.[type as 'qmclone'] ?? 'OK',
      onDone,
    });
    return upid;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const path = url.pathname;
      requests.push({
        method: req.method ?? '',
        path: decodeURIComponent(path),
        query: Object.fromEntries(url.searchParams),
        form,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
      });

      const reply = (status: number, reason: string, body: unknown) => {
        res.statusCode = status;
        res.statusMessage = reason;
        res.setHeader('content-type', 'application/json;charset=UTF-8');
        res.end(JSON.stringify(body));
      };
      const ok = (data: unknown) => reply(200, 'OK', { data });
      const fail = (status: number, reason: string, errors?: Record<string, string>) =>
        reply(status, reason, { data: null, ...(errors ? { errors } : {}) });

      if (!req.headers.authorization) return fail(401, 'No ticket');
      if (req.headers.authorization !== `PVEAPIToken=${opts.token}`) return fail(401, 'invalid token value!');

      const m = (re: RegExp) => re.exec(path);
      let g: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/api2/json/cluster/nextid') return ok(String(nextId));

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/clone$/))) {
        if (g[1] !== node) return fail(595, `no such node '${g[1]}'`);
        if (opts.cloneParamErrors) return fail(400, 'Parameter verification failed.', opts.cloneParamErrors);
        const errors = verify(form, CLONE_PARAMS, ['newid']);
        if (errors) return fail(400, 'Parameter verification failed.', errors);
        const source = Number(g[2]);
        // PVE/API2/Qemu.pm clone_vm, $load_and_check, in its order.
        if (form.pool !== undefined && !pools.has(form.pool))
          return fail(403, `Permission check failed (pool '${form.pool}' does not exist)`);
        const target = form.target && form.target !== node && form.target !== 'localhost' ? form.target : undefined;
        if (target && !nodes.includes(target)) return fail(500, `no such cluster node '${target}'`);
        if (form.storage !== undefined) {
          const st = storages[form.storage];
          if (!st) return fail(500, `storage '${form.storage}' does not exist`);
          if (!st.images)
            return fail(400, 'Parameter verification failed.', {
              storage: `storage '${form.storage}' does not support vm images`,
            });
          if (target && !st.shared) return fail(500, `can't clone to non-shared storage '${form.storage}'`);
        }
        const vm = vmOn(node, source);
        if (typeof vm === 'string') return fail(500, vm);
        const full = form.full !== undefined ? form.full === '1' : !vm.template;
        if (form.storage !== undefined && !full) return fail(500, "parameter 'storage' not allowed for linked clones");
        if (form.format !== undefined && !full) return fail(500, "parameter 'format' not allowed for linked clones");
        const shared = Object.values(vm.disks).every((d) => storages[d.storage]?.shared);
        if (target && !shared) return fail(500, `can't clone VM to node '${target}' (VM uses local storage)`);
        const newid = Number(form.newid);
        if (vms.has(newid))
          return fail(
            500,
            `unable to create VM ${newid} - VM ${newid} already exists on node '${vms.get(newid)!.node}'`,
          );
        if (newid >= nextId) nextId = newid + 1;
        const disks = Object.fromEntries(
          Object.entries(vm.disks).map(([k, d]) => [k, { storage: form.storage ?? d.storage, bytes: d.bytes }]),
        );
        vms.set(newid, {
          name: form.name ?? `Copy-of-VM-${source}`,
          node: target ?? node,
          template: false,
          running: false,
          config: {},
          disks,
          ...(form.pool ? { pool: form.pool } : {}),
        });
        return ok(newTask('qmclone', String(source)));
      }

      if (req.method === 'GET' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/))) {
        const upid = decodeURIComponent(g[2]!);
        const task = tasks.get(upid);
        if (!task) return fail(500, `unable to parse worker upid '${upid}'`);
        // A task is read on the node that runs it.
        if (task.node !== g[1]) return fail(500, `unable to parse worker upid '${upid}'`);
        task.polls++;
        const base = {
          upid,
          node: task.node,
          type: task.type,
          id: task.id,
          user,
          pid: 0,
          pstart: 0,
          starttime: Math.floor(Date.now() / 1000),
        };
        if (opts.hangTasks || task.polls <= (opts.taskPolls ?? 2)) return ok({ ...base, status: 'running' });
        if (task.polls === (opts.taskPolls ?? 2) + 1 && task.exitstatus === 'OK')
          task.exitstatus = task.onDone?.() ?? 'OK';
        return ok({ ...base, status: 'stopped', exitstatus: task.exitstatus });
      }

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/config$/))) {
        const errors = verify(form, CONFIG_PARAMS, []);
        if (errors) return fail(400, 'Parameter verification failed.', errors);
        const vm = vmOn(g[1]!, Number(g[2]));
        if (typeof vm === 'string') return fail(500, vm);
        return ok(newTask('qmconfig', g[2]!, () => void Object.assign(vm.config, form), vm.node));
      }

      if (req.method === 'PUT' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/resize$/))) {
        const errors = verify(form, RESIZE_PARAMS, ['disk', 'size']);
        if (errors) return fail(400, 'Parameter verification failed.', errors);
        const vm = vmOn(g[1]!, Number(g[2]));
        if (typeof vm === 'string') return fail(500, vm);
        // resize_vm's worker: the checks run in the task, whose exitstatus says why.
        return ok(
          newTask(
            'resize',
            g[2]!,
            () => {
              const disk = vm.disks[form.disk!];
              if (!disk) return `disk '${form.disk}' does not exist`;
              const [, plus, num, unit] = /^(\+)?(\d+(?:\.\d+)?)([KMGT])?$/.exec(form.size!)!;
              const bytes = Math.floor(Number(num) * UNIT[unit ?? ''] + (plus ? disk.bytes : 0));
              if (bytes < disk.bytes) return 'shrinking disks is not supported';
              disk.bytes = bytes;
              return undefined;
            },
            vm.node,
          ),
        );
      }

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/status\/start$/))) {
        const vm = vmOn(g[1]!, Number(g[2]));
        if (typeof vm === 'string') return fail(500, vm);
        if (vm.template) return fail(500, "you can't start a vm if it's a template");
        return ok(newTask('qmstart', g[2]!, () => void (vm.running = true), vm.node));
      }

      if (
        req.method === 'GET' &&
        (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/agent\/network-get-interfaces$/))
      ) {
        const vm = vmOn(g[1]!, Number(g[2]));
        if (typeof vm === 'string') return fail(500, vm);
        if (!vm.running) return fail(500, `VM ${g[2]} is not running`);
        if (agentCalls++ < (opts.agentFailures ?? 0)) return fail(500, 'QEMU guest agent is not running');
        const ip = /ip=([\d.]+)\/(\d+)/.exec(vm.config.ipconfig0 ?? '');
        return ok({
          result: [
            {
              name: 'lo',
              'hardware-address': '00:00:00:00:00:00',
              'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }],
            },
            {
              name: 'eth0',
              'hardware-address': 'bc:24:11:00:00:01',
              'ip-addresses': ip ? [{ 'ip-address-type': 'ipv4', 'ip-address': ip[1], prefix: Number(ip[2]) }] : [],
            },
          ],
        });
      }

      fail(501, `Method '${req.method} ${path}' not implemented`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    vms,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
