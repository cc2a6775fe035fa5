// provision_vm: Proxmox VE API (https://pve.proxmox.com/pve-docs/api-viewer/).
//   POST /api2/json/nodes/{node}/qemu/{template_vmid}/clone   newid, name, full, target, storage,
//                                                              format, pool               → UPID
//   GET  /api2/json/nodes/{node}/tasks/{upid}/status          until status=stopped; exitstatus=OK
//   POST /api2/json/nodes/{vm node}/qemu/{vmid}/config        ipconfig0 (ip, gw, ip6, gw6), nameserver,
//                                                              searchdomain, cores, sockets, memory,
//                                                              sshkeys, ciuser            → UPID (async)
//   PUT  /api2/json/nodes/{vm node}/qemu/{vmid}/resize        disk, size (per disk)      → UPID
//   POST /api2/json/nodes/{vm node}/qemu/{vmid}/status/start                            → UPID
//   GET  /api2/json/nodes/{vm node}/qemu/{vmid}/agent/network-get-interfaces (optional)
// The VM's node is `target` when the clone went to another node; the clone's task stays on `node`.
// Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET. Replies are `{ "data": … }`; errors
// are HTTP 4xx/5xx whose reason phrase is the message, with `{ "errors": {…}, "data": null }`
// for parameter errors. Bodies are form-encoded.
import { httpRequest, sleep, type HttpResponse } from '../http.ts';
import { provisionVmDefinition, type ProvisionVmWith } from '../../contracts/actions/provision_vm.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

const TOKEN = /^[^@\s]+@[^!\s]+![^=\s]+=\S+$/;

interface ProxmoxTaskStatus {
  status: 'running' | 'stopped';
  exitstatus?: string;
  type?: string;
}

class ProxmoxClient {
  constructor(
    private readonly base: string,
    private readonly token: string,
    private readonly ctx: ActionContext<ProvisionVmWith>,
  ) {}

  async call<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    params?: Record<string, string | number | boolean | undefined>,
  ): Promise<T> {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {}))
      if (v !== undefined) form.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    const body = method === 'GET' ? undefined : form.toString();
    let res: HttpResponse;
    try {
      res = await httpRequest({
        method,
        url: `${this.base}/api2/json${path}${method === 'GET' && [...form].length ? `?${form}` : ''}`,
        headers: {
          authorization: `PVEAPIToken=${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
        timeoutMs: 30_000,
        signal: this.ctx.signal,
        tls: { insecure: this.ctx.with.tls_insecure, caFile: this.ctx.with.ca_file },
      });
    } catch (err) {
      throw new ActionError(`Proxmox ${method} ${path}: ${(err as Error).message}`);
    }
    let json: { data?: unknown; errors?: Record<string, string> } | undefined;
    try {
      json = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status < 200 || res.status >= 300) {
      // A property string's errors come one per line ("format error\nipconfig0.ip: …"): one line here.
      const errors = json?.errors
        ? ` (${Object.entries(json.errors)
            .map(
              ([k, v]) =>
                `${k}: ${String(v)
                  .trim()
                  .replace(/\s*\n+\s*/g, ': ')}`,
            )
            .join('; ')})`
        : '';
      const hint = res.status === 401 ? ' — check the API token (USER@REALM!TOKENID=SECRET) and its privileges' : '';
      throw new ActionError(
        `Proxmox ${method} ${path} failed: HTTP ${res.status} ${res.statusMessage}${errors}${hint}`,
      );
    }
    if (!json || !('data' in json))
      throw new ActionError(
        `Proxmox ${method} ${path}: expected a JSON reply { "data": … }, got ${JSON.stringify(res.body.slice(0, 200))}`,
      );
    return json.data as T;
  }

  /** Polls a task until it stops; its exitstatus must be OK (or WARNINGS: n). */
  async waitTask(node: string, upid: string, what: string): Promise<void> {
    const started = Date.now();
    let polls = 0;
    for (;;) {
      const status = await this.call<ProxmoxTaskStatus>(
        'GET',
        `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`,
      );
      polls++;
      if (status.status === 'stopped') {
        const exit = status.exitstatus ?? '';
        if (exit === 'OK' || exit.startsWith('WARNINGS')) {
          this.ctx.log(
            `${what}: task finished ${exit} after ${((Date.now() - started) / 1000).toFixed(1)} s (${polls} polls)`,
          );
          return;
        }
        throw new ActionError(`${what} failed: task ${upid} ended with "${exit || 'no exit status'}"`);
      }
      await sleep(this.ctx.with.poll_interval_s * 1000, this.ctx.signal);
    }
  }
}

function isUpid(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('UPID:');
}

/** ipconfig0 as Proxmox's property string: ip=…[,gw=…][,ip6=…][,gw6=…]. */
export function ipconfig0(w: ProvisionVmWith): string {
  return [
    `ip=${w.ip}`,
    ...(w.gateway ? [`gw=${w.gateway}`] : []),
    ...(w.ip6 ? [`ip6=${w.ip6}`] : []),
    ...(w.gateway6 ? [`gw6=${w.gateway6}`] : []),
  ].join(',');
}

/** The clone's optional parameters, as Proxmox names them. */
function cloneOptions(w: ProvisionVmWith) {
  return { target: w.target !== w.node ? w.target : undefined, storage: w.storage, format: w.format, pool: w.pool };
}

function describeClone(w: ProvisionVmWith): string {
  const o = cloneOptions(w);
  const extra = [
    o.target && `onto node ${o.target}`,
    o.storage && `storage ${o.storage}`,
    o.format && `format ${o.format}`,
    o.pool && `pool ${o.pool}`,
  ];
  return `${w.full ? 'full' : 'linked'} clone${extra.some(Boolean) ? `, ${extra.filter(Boolean).join(', ')}` : ''}`;
}

/** The config the VM gets (what the log and the plan show, secrets aside). */
function describeConfig(w: ProvisionVmWith): string {
  return [
    `ipconfig0=${ipconfig0(w)}`,
    w.nameserver && `nameserver ${w.nameserver.join(' ')}`,
    w.searchdomain && `searchdomain ${w.searchdomain.join(' ')}`,
    w.cores && `${w.cores} core${w.cores === 1 ? '' : 's'}`,
    w.sockets && `${w.sockets} socket${w.sockets === 1 ? '' : 's'}`,
    w.memory_mib && `${w.memory_mib} MiB`,
    w.ciuser && `ciuser=${w.ciuser}`,
    w.ssh_keys?.length && `${w.ssh_keys.length} ssh key(s)`,
  ]
    .filter(Boolean)
    .join(', ');
}

async function execute(ctx: ActionContext<ProvisionVmWith>) {
  const w = ctx.with;
  let token = ctx.secrets
    .resolve(w.token)
    .trim()
    .replace(/^PVEAPIToken=/, '');
  if (!TOKEN.test(token))
    throw new ActionError(`the Proxmox token in ${w.token.secret} must look like USER@REALM!TOKENID=SECRET`);
  const base = (w.api_url ?? `https://${w.node}:8006`).replace(/\/+$/, '');
  const pve = new ProxmoxClient(base, token, ctx);
  token = '';
  const node = encodeURIComponent(w.node);

  const nextId = async () => {
    const id = Number(await pve.call<string | number>('GET', '/cluster/nextid'));
    if (!Number.isInteger(id)) throw new ActionError(`Proxmox GET /cluster/nextid returned no VM id`);
    return id;
  };
  let vmid = w.vmid ?? (await nextId());
  let cloneTask: string;
  for (let attempt = 1; ; attempt++) {
    ctx.log(
      `Proxmox ${base}, node ${w.node}: cloning template ${w.template_vmid} to VM ${vmid} "${w.name}" (${describeClone(w)})`,
    );
    try {
      cloneTask = await pve.call<string>('POST', `/nodes/${node}/qemu/${w.template_vmid}/clone`, {
        newid: vmid,
        name: w.name,
        full: w.full,
        ...cloneOptions(w),
      });
      break;
    } catch (err) {
      // nextid reserves nothing: two runs cloning at once (runner services) can be handed the
      // same id. The refused clone created nothing, so a fresh id is safe; a chosen vmid is not retried.
      if (w.vmid !== undefined || attempt >= 10 || !/already exists/i.test((err as Error).message)) throw err;
      ctx.log(`VM ${vmid} was taken meanwhile (another clone got the same next id); asking for the next free id again`);
      // A random pause, so that clones racing for ids stop asking in lockstep.
      await sleep(Math.floor(Math.random() * 100 * attempt), ctx.signal);
      vmid = await nextId();
    }
  }
  if (!isUpid(cloneTask)) throw new ActionError(`Proxmox clone returned no task id (got ${JSON.stringify(cloneTask)})`);
  ctx.log(`clone task ${cloneTask}`);
  try {
    // The clone's task runs on the template's node; the VM lives on the target from now on.
    await pve.waitTask(w.node, cloneTask, `clone ${w.template_vmid} → ${vmid}`);
    const vmNodeName = cloneOptions(w).target ?? w.node;
    const vmNode = encodeURIComponent(vmNodeName);

    const config = {
      ipconfig0: ipconfig0(w),
      // address-list: Proxmox splits on spaces, commas or semicolons.
      nameserver: w.nameserver?.join(' '),
      searchdomain: w.searchdomain?.join(' '),
      cores: w.cores,
      sockets: w.sockets,
      memory: w.memory_mib,
      ciuser: w.ciuser,
      // Proxmox wants the keys URL-encoded inside the (form-encoded) value.
      sshkeys: w.ssh_keys?.length ? encodeURIComponent(w.ssh_keys.join('\n')) : undefined,
    };
    ctx.log(`configuring VM ${vmid}${vmNodeName !== w.node ? ` on ${vmNodeName}` : ''}: ${describeConfig(w)}`);
    const configTask = await pve.call<string | null>('POST', `/nodes/${vmNode}/qemu/${vmid}/config`, config);
    if (isUpid(configTask)) await pve.waitTask(vmNodeName, configTask, `config of VM ${vmid}`);

    for (const r of w.resize ?? []) {
      ctx.log(`resizing ${r.disk} of VM ${vmid} to ${r.size}`);
      const resizeTask = await pve.call<string | null>('PUT', `/nodes/${vmNode}/qemu/${vmid}/resize`, {
        disk: r.disk,
        size: r.size,
      });
      if (isUpid(resizeTask)) await pve.waitTask(vmNodeName, resizeTask, `resize of ${r.disk} of VM ${vmid}`);
    }

    if (w.start) {
      ctx.log(`starting VM ${vmid}`);
      const startTask = await pve.call<string>('POST', `/nodes/${vmNode}/qemu/${vmid}/status/start`);
      if (!isUpid(startTask))
        throw new ActionError(`Proxmox start returned no task id (got ${JSON.stringify(startTask)})`);
      await pve.waitTask(vmNodeName, startTask, `start of VM ${vmid}`);
    }

    let addresses: string[] = [];
    if (w.start && w.wait_for_agent) {
      ctx.log(`waiting for the QEMU guest agent of VM ${vmid}`);
      for (;;) {
        try {
          const reply = await pve.call<{
            result?: Array<{ name: string; 'ip-addresses'?: Array<{ 'ip-address': string; prefix?: number }> }>;
          }>('GET', `/nodes/${vmNode}/qemu/${vmid}/agent/network-get-interfaces`);
          addresses = (reply.result ?? [])
            .filter((i) => i.name !== 'lo')
            .flatMap((i) =>
              (i['ip-addresses'] ?? []).map(
                (a) => `${i.name} ${a['ip-address']}${a.prefix !== undefined ? `/${a.prefix}` : ''}`,
              ),
            );
          ctx.log(`guest agent: ${addresses.join(', ') || 'no addresses yet'}`);
          break;
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          ctx.log(`guest agent not ready: ${(err as Error).message.replace(/^Proxmox GET \S+ failed: /, '')}`);
          await sleep(w.poll_interval_s * 1000, ctx.signal);
        }
      }
    }
    return {
      outputs: {
        vmid,
        node: vmNodeName,
        name: w.name,
        ip: w.ip,
        ...(w.ip6 ? { ip6: w.ip6 } : {}),
        ...(addresses.length ? { addresses } : {}),
      },
      summary: `VM ${vmid} ${w.name} ${w.start ? 'running' : 'created'}${vmNodeName !== w.node ? ` on ${vmNodeName}` : ''}`,
    };
  } catch (err) {
    ctx.log(
      `VM ${vmid} may exist now (the clone was requested): remove it, or set with.vmid to another id, before running this spec again`,
    );
    throw err;
  }
}

export const provisionVm: ActionModule<ProvisionVmWith> = {
  definition: provisionVmDefinition,
  execute,
  plan: (w) => [
    `Proxmox ${w.api_url ?? `https://${w.node}:8006`}: clone template ${w.template_vmid} on ${w.node} to ${w.vmid ?? 'the next free VM id'} "${w.name}" (${describeClone(w)})`,
    `configure ${describeConfig(w)}`,
    ...(w.resize?.length ? [`resize ${w.resize.map((r) => `${r.disk} to ${r.size}`).join(', ')}`] : []),
    ...(w.start ? [`start it${w.wait_for_agent ? ' and wait for the guest agent' : ''}`] : []),
    `token from ${w.token.secret}`,
  ],
};
