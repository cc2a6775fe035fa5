import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { runSpec } from '../../data-api/src/automation/runner.ts';
import { validateExecutionSpec } from '../../data-api/src/contracts/execution-spec.ts';
import { makeSpec } from '../helpers/automation.ts';
import { startFakeProxmox, type FakeProxmox, type FakeProxmoxOptions } from '../helpers/fake-proxmox.ts';

const TOKEN = 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9oJ2yE0dJ0Ub5b3i2r7pQm4Yk1a9x3hV8sT6uW2fLq ops@fleetbook+test';

let pve: FakeProxmox | undefined;
const makeSpecInput = () => ({
  spec_version: 1,
  project: 'farm-north-lorawan',
  deployment_id: 'dep_farm-north',
  product_code: 'lorawan-gw',
  product_version: '2.1.0',
});
afterEach(async () => {
  await pve?.close();
  pve = undefined;
});

async function provision(
  fake: Partial<FakeProxmoxOptions>,
  withPatch: Record<string, unknown> = {},
  action: Record<string, unknown> = {},
  env: Record<string, string> = { PROXMOX_TOKEN: TOKEN },
) {
  pve = await startFakeProxmox({ token: TOKEN, ...fake });
  const spec = makeSpec([
    {
      id: 'vm',
      type: 'provision_vm',
      ...action,
      with: {
        api_url: pve.url,
        node: 'pve1',
        template_vmid: 9000,
        name: 'cs-farm-north',
        ip: '10.0.0.21/24',
        gateway: '10.0.0.1',
        ciuser: 'ops',
        ssh_keys: [KEY],
        poll_interval_s: 0.02,
        ...withPatch,
      },
    },
  ]);
  const run = await runSpec({ spec, reporter: new MemoryRunReporter(), env });
  return { run, vm: run.actions[0]!, requests: pve.requests };
}

describe('provision_vm against a local fake Proxmox VE API', () => {
  it('clones, waits for the task, configures cloud-init, starts, waits for the guest agent', async () => {
    const { run, vm, requests } = await provision({ agentFailures: 2 }, { wait_for_agent: true });
    expect(run.state).toBe('succeeded');
    expect(vm.outputs).toEqual({
      vmid: 123,
      node: 'pve1',
      name: 'cs-farm-north',
      ip: '10.0.0.21/24',
      addresses: ['eth0 10.0.0.21/24'],
    });
    const calls = requests.map((r) => `${r.method} ${r.path.replace(/UPID:[^/]+/, 'UPID')}`);
    expect(calls).toEqual([
      'GET /api2/json/cluster/nextid',
      'POST /api2/json/nodes/pve1/qemu/9000/clone',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'POST /api2/json/nodes/pve1/qemu/123/config',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'POST /api2/json/nodes/pve1/qemu/123/status/start',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/tasks/UPID/status',
      'GET /api2/json/nodes/pve1/qemu/123/agent/network-get-interfaces',
      'GET /api2/json/nodes/pve1/qemu/123/agent/network-get-interfaces',
      'GET /api2/json/nodes/pve1/qemu/123/agent/network-get-interfaces',
    ]);
    expect(requests.every((r) => r.authorization === `PVEAPIToken=${TOKEN}`)).toBe(true);
    const clone = requests[1]!;
    expect(clone.contentType).toBe('application/x-www-form-urlencoded');
    expect(clone.form).toEqual({ newid: '123', name: 'cs-farm-north', full: '1' });
    // The config the fake applied once the task finished: keys URL-encoded inside the form value.
    expect(pve!.vms.get(123)!.config).toEqual({
      ipconfig0: 'ip=10.0.0.21/24,gw=10.0.0.1',
      ciuser: 'ops',
      sshkeys: encodeURIComponent(KEY),
    });
    expect(decodeURIComponent(pve!.vms.get(123)!.config.sshkeys!)).toBe(KEY);
    expect(pve!.vms.get(123)!.running).toBe(true);
    expect(vm.log.some((l) => l.startsWith('guest agent not ready: HTTP 500 QEMU guest agent is not running'))).toBe(
      true,
    );
    // The token never reaches the log.
    expect(JSON.stringify(run)).not.toContain('4c0e5a3e');
  });

  it('uses the given vmid and a linked clone, without start', async () => {
    const { run, requests } = await provision(
      {},
      { vmid: 456, full: false, start: false, ip: 'dhcp', gateway: undefined, ssh_keys: undefined, ciuser: undefined },
    );
    expect(run.state).toBe('succeeded');
    expect(requests.map((r) => r.path).filter((p) => !p.includes('/tasks/'))).toEqual([
      '/api2/json/nodes/pve1/qemu/9000/clone',
      '/api2/json/nodes/pve1/qemu/456/config',
    ]);
    expect(requests[0]!.form).toEqual({ newid: '456', name: 'cs-farm-north', full: '0' });
    expect(requests.find((r) => r.path.endsWith('/config'))!.form).toEqual({ ipconfig0: 'ip=dhcp' });
  });

  it('fails with the Proxmox error reply (500 with its reason phrase): missing template', async () => {
    const { run, vm } = await provision({ templates: [9001] });
    expect(run.state).toBe('failed');
    expect(vm.error).toBe('Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 VM 9000 does not exist');
  });

  it('fails with the parameter errors of a 400 reply', async () => {
    const { vm } = await provision({
      cloneParamErrors: {
        full: 'property is not defined in schema and the schema does not allow additional properties',
      },
    });
    expect(vm.error).toBe(
      'Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 400 Parameter verification failed. (full: property is not defined in schema and the schema does not allow additional properties)',
    );
  });

  it('refuses a clone onto an existing VM id (500 with the id)', async () => {
    const { vm } = await provision({}, { vmid: 123 }, {}, { PROXMOX_TOKEN: TOKEN });
    expect(vm.state).toBe('succeeded');
    // A second clone to an existing id: Proxmox refuses with a 500 and the VM id.
    const second = await runSpec({
      spec: makeSpec([
        {
          id: 'vm',
          type: 'provision_vm',
          with: {
            api_url: pve!.url,
            node: 'pve1',
            template_vmid: 9000,
            vmid: 123,
            name: 'again',
            ip: 'dhcp',
            poll_interval_s: 0.02,
          },
        },
      ]),
      reporter: new MemoryRunReporter(),
      env: { PROXMOX_TOKEN: TOKEN },
    });
    expect(second.actions[0]!.error).toBe(
      "Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 unable to create VM 123 - VM 123 already exists on node 'pve1'",
    );
  });

  it('a failed task (exitstatus not OK) fails the action and says the VM may exist', async () => {
    const { vm } = await provision({ failTask: { qmstart: 'start failed: QEMU exited with code 1' } });
    expect(vm.state).toBe('failed');
    expect(vm.error).toMatch(
      /^start of VM 123 failed: task UPID:pve1:[^ ]+ ended with "start failed: QEMU exited with code 1"$/,
    );
    expect(vm.log.at(-2)).toContain('VM 123 may exist now');
  });

  it('a wrong token is a 401 with a hint', async () => {
    const { vm } = await provision(
      {},
      {},
      {},
      { PROXMOX_TOKEN: 'automation@pve!fleetbook=00000000-0000-0000-0000-000000000000' },
    );
    expect(vm.error).toBe(
      'Proxmox GET /cluster/nextid failed: HTTP 401 invalid token value! — check the API token (USER@REALM!TOKENID=SECRET) and its privileges',
    );
  });

  it('a missing token variable fails before any request', async () => {
    const { vm, requests } = await provision({}, {}, {}, {});
    expect(vm.error).toBe("secret env:PROXMOX_TOKEN is not set: export PROXMOX_TOKEN=… in the runner's environment");
    expect(requests).toEqual([]);
  });

  it('a task that never finishes hits the action timeout', async () => {
    const started = Date.now();
    const { vm } = await provision({ hangTasks: true }, {}, { timeout_s: 0.5 });
    expect(vm.state).toBe('failed');
    expect(vm.error).toBe('timed out after 500 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an unreachable API is a clear transport error', async () => {
    pve = await startFakeProxmox({ token: TOKEN });
    const url = pve.url;
    await pve.close();
    pve = undefined;
    const run = await runSpec({
      spec: makeSpec([
        {
          id: 'vm',
          type: 'provision_vm',
          with: { api_url: url, node: 'pve1', template_vmid: 9000, vmid: 200, name: 'x', ip: 'dhcp' },
        },
      ]),
      reporter: new MemoryRunReporter(),
      env: { PROXMOX_TOKEN: TOKEN },
    });
    expect(run.actions[0]!.error).toBe(
      `Proxmox POST /nodes/pve1/qemu/9000/clone: POST ${url}/api2/json/nodes/pve1/qemu/9000/clone: connection refused`,
    );
  });
});

describe('provision_vm options (target, storage, format, pool, CPU, memory, disks, DNS, IPv6), as Proxmox takes them', () => {
  it('clones onto another node and storage into a pool, then configures CPU, memory, DNS and IPv6 and grows the disk there', async () => {
    const { run, vm, requests } = await provision(
      { templates: [9100], templateStorage: { 9100: 'ceph' } },
      {
        template_vmid: 9100,
        target: 'pve2',
        storage: 'ceph',
        format: 'raw',
        pool: 'lorawan',
        cores: 2,
        sockets: 1,
        memory_mib: 2048,
        nameserver: ['10.0.0.1', '2001:db8::53'],
        searchdomain: ['farm-north.example.net', 'example.net'],
        ip6: '2001:db8::21/64',
        gateway6: '2001:db8::1',
        resize: [{ disk: 'scsi0', size: '32G' }],
        wait_for_agent: true,
      },
    );
    expect(run.state, vm.error).toBe('succeeded');
    const calls = requests
      .map((r) => `${r.method} ${r.path.replace(/UPID:([^:]+):[^/]+/, 'UPID@$1')}`)
      .filter((c, i, all) => c !== all[i - 1]);
    expect(calls).toEqual([
      'GET /api2/json/cluster/nextid',
      'POST /api2/json/nodes/pve1/qemu/9100/clone',
      'GET /api2/json/nodes/pve1/tasks/UPID@pve1/status', // the clone runs on the template's node
      'POST /api2/json/nodes/pve2/qemu/123/config', // the VM lives on the target from then on
      'GET /api2/json/nodes/pve2/tasks/UPID@pve2/status',
      'PUT /api2/json/nodes/pve2/qemu/123/resize',
      'GET /api2/json/nodes/pve2/tasks/UPID@pve2/status',
      'POST /api2/json/nodes/pve2/qemu/123/status/start',
      'GET /api2/json/nodes/pve2/tasks/UPID@pve2/status',
      'GET /api2/json/nodes/pve2/qemu/123/agent/network-get-interfaces',
    ]);
    expect(requests[1]!.form).toEqual({
      newid: '123',
      name: 'cs-farm-north',
      full: '1',
      target: 'pve2',
      storage: 'ceph',
      format: 'raw',
      pool: 'lorawan',
    });
    expect(requests.find((r) => r.path.endsWith('/config'))!.form).toEqual({
      ipconfig0: 'ip=10.0.0.21/24,gw=10.0.0.1,ip6=2001:db8::21/64,gw6=2001:db8::1',
      nameserver: '10.0.0.1 2001:db8::53',
      searchdomain: 'farm-north.example.net example.net',
      cores: '2',
      sockets: '1',
      memory: '2048',
      ciuser: 'ops',
      sshkeys: encodeURIComponent(KEY),
    });
    expect(requests.find((r) => r.path.endsWith('/resize'))!.form).toEqual({ disk: 'scsi0', size: '32G' });
    const made = pve!.vms.get(123)!;
    expect({ node: made.node, pool: made.pool, disks: made.disks, running: made.running }).toEqual({
      node: 'pve2',
      pool: 'lorawan',
      disks: { scsi0: { storage: 'ceph', bytes: 32 * 1024 ** 3 } },
      running: true,
    });
    expect(vm.outputs).toMatchObject({ vmid: 123, node: 'pve2', ip6: '2001:db8::21/64' });
    expect(vm.summary).toBe('VM 123 cs-farm-north running on pve2');
  });

  it("Proxmox's refusals come through: a pool that does not exist, a cross-node clone of a VM on local storage, a shrinking resize", async () => {
    expect((await provision({}, { pool: 'nope' })).vm.error).toBe(
      "Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 403 Permission check failed (pool 'nope' does not exist)",
    );
    await pve!.close();
    expect((await provision({}, { target: 'pve2' })).vm.error).toBe(
      "Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 can't clone VM to node 'pve2' (VM uses local storage)",
    );
    await pve!.close();
    expect((await provision({}, { target: 'pve2', storage: 'local-lvm' })).vm.error).toBe(
      "Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 can't clone to non-shared storage 'local-lvm'",
    );
    await pve!.close();
    expect((await provision({}, { storage: 'local' })).vm.error).toBe(
      "Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 400 Parameter verification failed. (storage: storage 'local' does not support vm images)",
    );
    await pve!.close();
    const shrink = await provision({}, { resize: [{ disk: 'scsi0', size: '4G' }] });
    expect(shrink.vm.error).toMatch(
      /^resize of scsi0 of VM 123 failed: task UPID:pve1:\S+ ended with "shrinking disks is not supported"$/,
    );
    await pve!.close();
    const missing = await provision({}, { resize: [{ disk: 'virtio1', size: '+8G' }] });
    expect(missing.vm.error).toMatch(/ended with "disk 'virtio1' does not exist"$/);
  });

  it('refuses before any request what Proxmox would refuse or silently ignore, naming the field', () => {
    const base = { node: 'pve1', template_vmid: 9000, name: 'cs', ip: '10.0.0.21/24' };
    const problems = (w: Record<string, unknown>) => {
      const r = validateExecutionSpec({
        ...makeSpecInput(),
        actions: [{ id: 'vm', type: 'provision_vm', with: { ...base, ...w } }],
      });
      return r.ok ? [] : r.issues.map((i) => `${i.path.slice(3).join('.')}: ${i.message}`);
    };
    expect(problems({ full: false, storage: 'ceph', format: 'qcow2' })).toEqual([
      `storage: storage is for full clones only (Proxmox: "parameter 'storage' not allowed for linked clones")`,
      `format: format is for full clones only (Proxmox: "parameter 'format' not allowed for linked clones")`,
    ]);
    expect(problems({ ip: 'dhcp', gateway: '10.0.0.1' })).toEqual([
      `gateway: a gateway with ip dhcp: Proxmox's cloud-init drops the whole ipconfig0 ("gateway specified together with DHCP")`,
    ]);
    expect(problems({ ip6: 'auto', gateway6: '2001:db8::1' })).toEqual([
      `gateway6: a gateway6 with ip6 auto: Proxmox's cloud-init drops the whole ipconfig0 ("IPv6 gateway specified together with auto address")`,
    ]);
    expect(problems({ gateway6: '2001:db8::1' })).toEqual([
      `gateway6: gateway6 needs ip6 (Proxmox: "missing property required by 'gw6'")`,
    ]);
    expect(
      problems({ ip: '10.0.0.21/7', ip6: '2001:db8::21/129', nameserver: ['10.0.0.300'], memory_mib: 8, cores: 0 }),
    ).toEqual([
      'ip: expected an IPv4 address with a prefix length of 8 to 32 like 10.0.0.21/24, or "dhcp"',
      'ip6: expected an IPv6 address with a prefix length of 8 to 128 like 2001:db8::21/64, "dhcp" or "auto" (SLAAC)',
      'nameserver.0: expected an IPv4 or IPv6 address (a DNS server must be an address)',
      'cores: expected at least 1 core',
      "memory_mib: expected at least 16 MiB (Proxmox's minimum)",
    ]);
    expect(
      problems({
        resize: [
          { disk: 'hda', size: '32GB' },
          { disk: 'scsi0', size: '+8G' },
          { disk: 'scsi0', size: '40G' },
        ],
        pool: 'lo ra',
        storage: 'x',
      }),
    ).toEqual([
      'storage: expected a Proxmox storage ID like local-lvm (at least 2 characters)',
      'pool: expected a Proxmox pool name (letters, digits, ".", "-", "_")',
      'resize.0.disk: expected a Proxmox disk name like scsi0, virtio0, sata0, ide0, efidisk0',
      'resize.0.size: expected a size like 32G (absolute) or +8G (added); K, M, G, T',
      'resize.2.disk: scsi0 is resized twice',
    ]);
    expect(
      problems({
        resize: [
          { disk: 'scsi0', size: '+8G' },
          { disk: 'scsi0', size: '40G' },
        ],
      }),
    ).toEqual(['resize.1.disk: scsi0 is resized twice']);
  });

  it('the stand-in refuses what Proxmox refuses, with its status and messages (called directly)', async () => {
    pve = await startFakeProxmox({ token: TOKEN, templateStorage: { 9000: 'local-lvm' } });
    const call = async (method: string, p: string, form: Record<string, string>) => {
      const res = await fetch(`${pve!.url}/api2/json${p}`, {
        method,
        headers: { authorization: `PVEAPIToken=${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });
      const body = (await res.json()) as { data: unknown; errors?: Record<string, string> };
      return { status: `${res.status} ${res.statusText}`, errors: body.errors, data: body.data };
    };
    const clone = (form: Record<string, string>) =>
      call('POST', '/nodes/pve1/qemu/9000/clone', { newid: '200', ...form });
    expect(await clone({ full: '0', storage: 'local-lvm' })).toMatchObject({
      status: "500 parameter 'storage' not allowed for linked clones",
    });
    expect(await clone({ full: '1', format: 'qcow3' })).toMatchObject({
      status: '400 Parameter verification failed.',
      errors: { format: "value 'qcow3' does not have a value in the enumeration 'raw, qcow2, vmdk'" },
    });
    expect(await clone({ target: 'pve9' })).toMatchObject({ status: "500 no such cluster node 'pve9'" });
    expect(await clone({ storage: 'nope' })).toMatchObject({ status: "500 storage 'nope' does not exist" });
    expect(await clone({ storage: 'x' })).toMatchObject({
      errors: { storage: "invalid format - storage ID 'x' cannot be shorter than 2 characters\n" },
    });
    expect(await clone({ name: 'cs_farm', newid: '99', cores: '2' })).toMatchObject({
      status: '400 Parameter verification failed.',
      errors: {
        name: 'invalid format - value does not look like a valid DNS name\n',
        newid: 'invalid format - value does not look like a valid VM ID\n',
        cores: 'property is not defined in schema and the schema does not allow additional properties',
      },
    });
    expect((await clone({ full: '1' })).data).toMatch(/^UPID:pve1:/);
    const config = (form: Record<string, string>) => call('POST', '/nodes/pve1/qemu/200/config', form);
    expect((await config({ ipconfig0: 'ip=10.0.0.21/7' })).errors).toEqual({
      ipconfig0:
        'invalid format - format error\nipconfig0.ip: invalid format - value does not look like a valid ipv4 network configuration\n\n',
    });
    expect((await config({ ipconfig0: 'gw6=2001:db8::1,ip=dhcp' })).errors).toEqual({
      ipconfig0: "invalid format - format error\nipconfig0.ip6: missing property required by 'ipconfig0.gw6'\n",
    });
    expect((await config({ ipconfig0: 'ip=dhcp,dns=1.1.1.1' })).errors).toEqual({
      ipconfig0: 'invalid format - invalid key in comma-separated list property: dns\n',
    });
    expect(
      (await config({ memory: '8', cores: '0', nameserver: '10.0.0.1 not_a_host!', sshkeys: 'ssh-ed25519 AAAA' }))
        .errors,
    ).toEqual({
      memory: 'invalid format - format error\nmemory.current: value must have a minimum value of 16\n',
      cores: 'value must have a minimum value of 1',
      nameserver: 'invalid format - value does not look like a valid address: not_a_host!\n',
      sshkeys: 'invalid format - invalid urlencoded string: ssh-ed25519 AAAA\n',
    });
    expect(await call('PUT', '/nodes/pve1/qemu/200/resize', { disk: 'scsi31', size: '32GB' })).toMatchObject({
      status: '400 Parameter verification failed.',
      errors: {
        disk: expect.stringMatching(
          /^value 'scsi31' does not have a value in the enumeration 'ide0, ide1, .*, scsi30, virtio0, .*, efidisk0, tpmstate0'$/,
        ),
        size: 'value does not match the regex pattern',
      },
    });
    // A VM is configured on its own node only.
    expect((await call('POST', '/nodes/pve2/qemu/200/config', { cores: '2' })).status).toBe(
      "500 Configuration file 'nodes/pve2/qemu-server/200.conf' does not exist",
    );
  });
});
