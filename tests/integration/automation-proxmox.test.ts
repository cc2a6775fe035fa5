import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { runSpec } from '../../data-api/src/automation/runner.ts';
import { makeSpec } from '../helpers/automation.ts';
import { startFakeProxmox, type FakeProxmox, type FakeProxmoxOptions } from '../helpers/fake-proxmox.ts';

const TOKEN = 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9oJ2yE0dJ0Ub5b3i2r7pQm4Yk1a9x3hV8sT6uW2fLq ops@fleetbook+test';

let pve: FakeProxmox | undefined;
afterEach(async () => {
  await pve?.close();
  pve = undefined;
});

async function provision(fake: Partial<FakeProxmoxOptions>, withPatch: Record<string, unknown> = {}, action: Record<string, unknown> = {}, env: Record<string, string> = { PROXMOX_TOKEN: TOKEN }) {
  pve = await startFakeProxmox({ token: TOKEN, ...fake });
  const spec = makeSpec([
    {
      id: 'vm',
      type: 'provision_vm',
      ...action,
      with: { api_url: pve.url, node: 'pve1', template_vmid: 9000, name: 'cs-farm-north', ip: '10.0.0.21/24', gateway: '10.0.0.1', ciuser: 'ops', ssh_keys: [KEY], poll_interval_s: 0.02, ...withPatch },
    },
  ]);
  const run = await runSpec({ spec, reporter: new MemoryRunReporter(), env });
  return { run, vm: run.actions[0]!, requests: pve.requests };
}

describe('provision_vm against a local fake Proxmox VE API', () => {
  it('clones, waits for the task, configures cloud-init, starts, waits for the guest agent', async () => {
    const { run, vm, requests } = await provision({ agentFailures: 2 }, { wait_for_agent: true });
    expect(run.state).toBe('succeeded');
    expect(vm.outputs).toEqual({ vmid: 123, node: 'pve1', name: 'cs-farm-north', ip: '10.0.0.21/24', addresses: ['eth0 10.0.0.21/24'] });
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
    expect(pve!.vms.get(123)!.config).toEqual({ ipconfig0: 'ip=10.0.0.21/24,gw=10.0.0.1', ciuser: 'ops', sshkeys: encodeURIComponent(KEY) });
    expect(decodeURIComponent(pve!.vms.get(123)!.config.sshkeys!)).toBe(KEY);
    expect(pve!.vms.get(123)!.running).toBe(true);
    expect(vm.log.some((l) => l.startsWith('guest agent not ready: HTTP 500 QEMU guest agent is not running'))).toBe(true);
    // The token never reaches the log.
    expect(JSON.stringify(run)).not.toContain('4c0e5a3e');
  });

  it('uses the given vmid and a linked clone, without start', async () => {
    const { run, requests } = await provision({}, { vmid: 456, full: false, start: false, ip: 'dhcp', gateway: undefined, ssh_keys: undefined, ciuser: undefined });
    expect(run.state).toBe('succeeded');
    expect(requests.map((r) => r.path).filter((p) => !p.includes('/tasks/'))).toEqual(['/api2/json/nodes/pve1/qemu/9000/clone', '/api2/json/nodes/pve1/qemu/456/config']);
    expect(requests[0]!.form).toEqual({ newid: '456', name: 'cs-farm-north', full: '0' });
    expect(requests.find((r) => r.path.endsWith('/config'))!.form).toEqual({ ipconfig0: 'ip=dhcp' });
  });

  it('fails with the Proxmox error reply (500 with its reason phrase): missing template', async () => {
    const { run, vm } = await provision({ templates: [9001] });
    expect(run.state).toBe('failed');
    expect(vm.error).toBe('Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 VM 9000 does not exist');
  });

  it('fails with the parameter errors of a 400 reply', async () => {
    const { vm } = await provision({ cloneParamErrors: { full: "property is not defined in schema and the schema does not allow additional properties" } });
    expect(vm.error).toBe('Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 400 Parameter verification failed. (full: property is not defined in schema and the schema does not allow additional properties)');
  });

  it('refuses a clone onto an existing VM id (500 with the id)', async () => {
    const { vm } = await provision({}, { vmid: 123 }, {}, { PROXMOX_TOKEN: TOKEN });
    expect(vm.state).toBe('succeeded');
    // A second clone to an existing id: Proxmox refuses with a 500 and the VM id.
    const second = await runSpec({
      spec: makeSpec([{ id: 'vm', type: 'provision_vm', with: { api_url: pve!.url, node: 'pve1', template_vmid: 9000, vmid: 123, name: 'again', ip: 'dhcp', poll_interval_s: 0.02 } }]),
      reporter: new MemoryRunReporter(),
      env: { PROXMOX_TOKEN: TOKEN },
    });
    expect(second.actions[0]!.error).toBe("Proxmox POST /nodes/pve1/qemu/9000/clone failed: HTTP 500 unable to create VM 123 - VM 123 already exists on node 'pve1'");
  });

  it('a failed task (exitstatus not OK) fails the action and says the VM may exist', async () => {
    const { vm } = await provision({ failTask: { qmstart: "start failed: QEMU exited with code 1" } });
    expect(vm.state).toBe('failed');
    expect(vm.error).toMatch(/^start of VM 123 failed: task UPID:pve1:[^ ]+ ended with "start failed: QEMU exited with code 1"$/);
    expect(vm.log.at(-2)).toContain('VM 123 may exist now');
  });

  it('a wrong token is a 401 with a hint', async () => {
    const { vm } = await provision({}, {}, {}, { PROXMOX_TOKEN: 'automation@pve!fleetbook=00000000-0000-0000-0000-000000000000' });
    expect(vm.error).toBe('Proxmox GET /cluster/nextid failed: HTTP 401 invalid token value! — check the API token (USER@REALM!TOKENID=SECRET) and its privileges');
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
      spec: makeSpec([{ id: 'vm', type: 'provision_vm', with: { api_url: url, node: 'pve1', template_vmid: 9000, vmid: 200, name: 'x', ip: 'dhcp' } }]),
      reporter: new MemoryRunReporter(),
      env: { PROXMOX_TOKEN: TOKEN },
    });
    expect(run.actions[0]!.error).toBe(`Proxmox POST /nodes/pve1/qemu/9000/clone: POST ${url}/api2/json/nodes/pve1/qemu/9000/clone: connection refused`);
  });
});
