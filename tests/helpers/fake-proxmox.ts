import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the Proxmox VE API, implementing the endpoints provision_vm uses as the
 * API viewer documents them: replies wrapped in `{ "data": … }`, errors as HTTP status + reason
 * phrase (and `{ "errors": {…}, "data": null }` for parameter errors), form-encoded bodies,
 * asynchronous tasks (UPID) that are `running` for a few polls and then `stopped`, and the
 * `Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET` header.
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
  failTask?: Partial<Record<'qmclone' | 'qmconfig' | 'qmstart', string>>;
  /** Tasks never stop (for timeouts). */
  hangTasks?: boolean;
  /** network-get-interfaces answers "QEMU guest agent is not running" this many times first. */
  agentFailures?: number;
  /** The clone answers 400 "Parameter verification failed." with these errors (e.g. an older PVE). */
  cloneParamErrors?: Record<string, string>;
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
  template: boolean;
  running: boolean;
  config: Record<string, string>;
}

interface Task {
  upid: string;
  type: string;
  id: string;
  polls: number;
  exitstatus: string;
  onDone?: () => void;
}

export interface FakeProxmox {
  url: string;
  requests: RecordedRequest[];
  vms: Map<number, Vm>;
  close(): Promise<void>;
}

export async function startFakeProxmox(opts: FakeProxmoxOptions): Promise<FakeProxmox> {
  const node = opts.node ?? 'pve1';
  const vms = new Map<number, Vm>();
  for (const id of opts.templates ?? [9000]) vms.set(id, { name: `template-${id}`, template: true, running: false, config: {} });
  const tasks = new Map<string, Task>();
  const requests: RecordedRequest[] = [];
  let nextId = opts.nextId ?? 123;
  let pid = 0x1000;
  let agentCalls = 0;
  const user = opts.token.split('=')[0]!;

  const newTask = (type: string, id: string, onDone?: () => void): string => {
    pid++;
    const start = Math.floor(Date.now() / 1000);
    const upid = `UPID:${node}:${pid.toString(16).toUpperCase().padStart(8, '0')}:${(pid * 7).toString(16).toUpperCase().padStart(8, '0')}:${start.toString(16).toUpperCase()}:${type}:${id}:${user}:`;
    tasks.set(upid, { upid, type, id, polls: 0, exitstatus: opts.failTask?.[type as 'qmclone'] ?? 'OK', onDone });
    return upid;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const path = url.pathname;
      requests.push({ method: req.method ?? '', path: decodeURIComponent(path), query: Object.fromEntries(url.searchParams), form, authorization: req.headers.authorization, contentType: req.headers['content-type'] });

      const reply = (status: number, reason: string, body: unknown) => {
        res.statusCode = status;
        res.statusMessage = reason;
        res.setHeader('content-type', 'application/json;charset=UTF-8');
        res.end(JSON.stringify(body));
      };
      const ok = (data: unknown) => reply(200, 'OK', { data });
      const fail = (status: number, reason: string, errors?: Record<string, string>) => reply(status, reason, { data: null, ...(errors ? { errors } : {}) });

      if (!req.headers.authorization) return fail(401, 'No ticket');
      if (req.headers.authorization !== `PVEAPIToken=${opts.token}`) return fail(401, 'invalid token value!');

      const m = (re: RegExp) => re.exec(path);
      let g: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/api2/json/cluster/nextid') return ok(String(nextId));

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/clone$/))) {
        if (g[1] !== node) return fail(595, `no such node '${g[1]}'`);
        if (opts.cloneParamErrors) return fail(400, 'Parameter verification failed.', opts.cloneParamErrors);
        if (!form.newid) return fail(400, 'Parameter verification failed.', { newid: 'property is missing and it is not optional' });
        if (!/^\d+$/.test(form.newid)) return fail(400, 'Parameter verification failed.', { newid: `type check ('integer') failed - got '${form.newid}'` });
        const source = Number(g[2]);
        if (!vms.has(source)) return fail(500, `VM ${source} does not exist`);
        const newid = Number(form.newid);
        if (vms.has(newid)) return fail(500, `unable to create VM ${newid} - VM ${newid} already exists on node '${node}'`);
        if (form.full !== undefined && !['0', '1'].includes(form.full)) return fail(400, 'Parameter verification failed.', { full: `type check ('boolean') failed - got '${form.full}'` });
        if (newid >= nextId) nextId = newid + 1;
        vms.set(newid, { name: form.name ?? `Copy-of-VM-${source}`, template: false, running: false, config: {} });
        return ok(newTask('qmclone', String(source)));
      }

      if (req.method === 'GET' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/))) {
        const upid = decodeURIComponent(g[2]!);
        const task = tasks.get(upid);
        if (!task) return fail(500, `unable to parse worker upid '${upid}'`);
        task.polls++;
        const base = { upid, node, type: task.type, id: task.id, user, pid: 0, pstart: 0, starttime: Math.floor(Date.now() / 1000) };
        if (opts.hangTasks || task.polls <= (opts.taskPolls ?? 2)) return ok({ ...base, status: 'running' });
        if (task.polls === (opts.taskPolls ?? 2) + 1 && task.exitstatus === 'OK') task.onDone?.();
        return ok({ ...base, status: 'stopped', exitstatus: task.exitstatus });
      }

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/config$/))) {
        const vm = vms.get(Number(g[2]));
        if (!vm) return fail(500, `VM ${g[2]} does not exist`);
        if (form.sshkeys !== undefined) {
          try {
            decodeURIComponent(form.sshkeys);
          } catch {
            return fail(400, 'Parameter verification failed.', { sshkeys: 'invalid urlencoded string' });
          }
          if (/[ \n]/.test(form.sshkeys)) return fail(400, 'Parameter verification failed.', { sshkeys: 'invalid urlencoded string' });
        }
        if (form.ipconfig0 !== undefined && !/^ip=(dhcp|[\d.]+\/\d+)(,gw=[\d.]+)?$/.test(form.ipconfig0)) {
          return fail(400, 'Parameter verification failed.', { ipconfig0: `invalid format - format error ipconfig0: '${form.ipconfig0}'` });
        }
        return ok(newTask('qmconfig', g[2]!, () => Object.assign(vm.config, form)));
      }

      if (req.method === 'POST' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/status\/start$/))) {
        const vm = vms.get(Number(g[2]));
        if (!vm) return fail(500, `VM ${g[2]} does not exist`);
        if (vm.template) return fail(500, 'you can\'t start a vm if it\'s a template');
        return ok(newTask('qmstart', g[2]!, () => (vm.running = true)));
      }

      if (req.method === 'GET' && (g = m(/^\/api2\/json\/nodes\/([^/]+)\/qemu\/(\d+)\/agent\/network-get-interfaces$/))) {
        const vm = vms.get(Number(g[2]));
        if (!vm) return fail(500, `VM ${g[2]} does not exist`);
        if (!vm.running) return fail(500, `VM ${g[2]} is not running`);
        if (agentCalls++ < (opts.agentFailures ?? 0)) return fail(500, 'QEMU guest agent is not running');
        const ip = /ip=([\d.]+)\/(\d+)/.exec(vm.config.ipconfig0 ?? '');
        return ok({
          result: [
            { name: 'lo', 'hardware-address': '00:00:00:00:00:00', 'ip-addresses': [{ 'ip-address-type': 'ipv4', 'ip-address': '127.0.0.1', prefix: 8 }] },
            { name: 'eth0', 'hardware-address': 'bc:24:11:00:00:01', 'ip-addresses': ip ? [{ 'ip-address-type': 'ipv4', 'ip-address': ip[1], prefix: Number(ip[2]) }] : [] },
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
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
