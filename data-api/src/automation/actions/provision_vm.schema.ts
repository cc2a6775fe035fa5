import { z } from 'zod';
import { hostSchema, httpUrlSchema, secondsSchema, secretRefSchema, type ActionDefinition } from './shared.schema.ts';

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const provisionVmWithSchema = z
  .strictObject({
    api_url: httpUrlSchema(['https:', 'http:'], 'https://pve1.example.net:8006')
      .optional()
      .describe('Proxmox VE API base; default https://<node>:8006'),
    node: hostSchema.describe('Proxmox node that holds the template'),
    template_vmid: z.number().int().min(100).max(999_999_999).describe('VM id of the cloud-init template to clone'),
    vmid: z.number().int().min(100).max(999_999_999).optional().describe('VM id of the new VM; default: the next free id (GET /cluster/nextid)'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, { message: 'expected a DNS name (letters, digits, "-", ".")' })
      .describe('VM name (a DNS name)'),
    full: z.boolean().default(true).describe('full clone (true) or linked clone (false)'),
    ip: z
      .string()
      .refine((v) => v === 'dhcp' || (/^[^/]+\/\d{1,2}$/.test(v) && ipv4.test(v.split('/')[0]!) && Number(v.split('/')[1]) <= 32), {
        message: 'expected an IPv4 address with prefix length like 10.0.0.21/24, or "dhcp"',
      })
      .describe('cloud-init ipconfig0 address, CIDR or "dhcp"'),
    gateway: z.string().regex(ipv4, { message: 'expected an IPv4 address like 10.0.0.1' }).optional().describe('cloud-init ipconfig0 gateway'),
    ssh_keys: z.array(z.string().regex(/^(ssh-|ecdsa-|sk-)\S+ \S+/, { message: 'expected an OpenSSH public key line ("ssh-ed25519 AAAA… comment")' })).optional()
      .describe('public keys for cloud-init (public, so inline is fine)'),
    ciuser: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'expected a user name' }).optional().describe('cloud-init user'),
    token: secretRefSchema
      .default({ secret: 'env:PROXMOX_TOKEN' })
      .describe('API token "USER@REALM!TOKENID=SECRET", by reference; sent as Authorization: PVEAPIToken=…'),
    tls_insecure: z.boolean().default(false).describe('accept a self-signed certificate (prefer ca_file)'),
    ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the Proxmox certificate'),
    start: z.boolean().default(true).describe('start the VM after configuring it'),
    wait_for_agent: z.boolean().default(false).describe('poll the QEMU guest agent until it reports the interfaces'),
    poll_interval_s: secondsSchema.default(2).describe('task and agent polling interval'),
  })
  .meta({ id: 'ProvisionVmWith' });

export type ProvisionVmWith = z.output<typeof provisionVmWithSchema>;

export const provisionVmDefinition = {
  type: 'provision_vm',
  summary: 'Proxmox VE: clone a template, set IP and ssh keys (cloud-init), start it',
  withSchema: provisionVmWithSchema,
  // A second clone would be a second VM (or a "VM exists" error): never retried.
  idempotent: false,
  defaultTimeoutS: 900,
} as const satisfies ActionDefinition<'provision_vm'>;
