import { z } from 'zod';
import { urlSchema } from '../primitives.ts';
import { hostSchema, secondsSchema, secretRefSchema, type ActionDefinition } from './shared.ts';

// Formats as the Proxmox VE API documents and checks them (pve-common PVE/JSONSchema.pm,
// qemu-server PVE/API2/Qemu.pm and PVE/QemuServer*.pm): refused here, with the same rule, before
// anything is cloned.
const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv6 address (full, compressed, or with an embedded IPv4 tail). */
export function isIpv6(v: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(v) || (v.match(/::/g) ?? []).length > 1) return false;
  let groups = v.split(':');
  const tail = groups.at(-1)!;
  if (tail.includes('.')) {
    if (!ipv4.test(tail)) return false;
    groups = [...groups.slice(0, -1), '0', '0'];
  }
  if (v.includes('::')) {
    const filled = groups.filter((g) => g !== '');
    return filled.length <= 7 && filled.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g));
  }
  return groups.length === 8 && groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g));
}

/** pve-node: the node names Proxmox accepts. */
const nodeName = z.string().regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/, {
  message: 'expected a Proxmox node name (letters, digits, "-")',
});

const dnsName = /^([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** Proxmox's valid_drive_names(): the disks `resize` can name. */
const DRIVE = /^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)$/;

export const provisionVmWithSchema = z
  .strictObject({
    api_url: urlSchema(['https:', 'http:'], 'https://pve1.example.net:8006')
      .optional()
      .describe('Proxmox VE API base; default https://<node>:8006'),
    node: hostSchema.describe('Proxmox node that holds the template'),
    target: nodeName
      .optional()
      .describe('clone onto this node (Proxmox allows it only when the template is on shared storage)'),
    storage: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_.-]*[a-zA-Z0-9]$/, {
        message: 'expected a Proxmox storage ID like local-lvm (at least 2 characters)',
      })
      .optional()
      .describe('target storage of the disks (full clones only; shared storage when target is another node)'),
    format: z.enum(['raw', 'qcow2', 'vmdk']).optional().describe('target disk format (full clones only)'),
    pool: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, { message: 'expected a Proxmox pool name (letters, digits, ".", "-", "_")' })
      .optional()
      .describe('add the VM to this resource pool (it must exist)'),
    template_vmid: z.number().int().min(100).max(999_999_999).describe('VM id of the cloud-init template to clone'),
    vmid: z
      .number()
      .int()
      .min(100)
      .max(999_999_999)
      .optional()
      .describe('VM id of the new VM; default: the next free id (GET /cluster/nextid)'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, {
        message: 'expected a DNS name (letters, digits, "-", ".")',
      })
      .describe('VM name (a DNS name)'),
    full: z.boolean().default(true).describe('full clone (true) or linked clone (false)'),
    ip: z
      .string()
      .refine(
        (v) =>
          v === 'dhcp' ||
          (/^[^/]+\/\d{1,2}$/.test(v) &&
            ipv4.test(v.split('/')[0]!) &&
            Number(v.split('/')[1]) >= 8 &&
            Number(v.split('/')[1]) <= 32),
        { message: 'expected an IPv4 address with a prefix length of 8 to 32 like 10.0.0.21/24, or "dhcp"' },
      )
      .describe('cloud-init ipconfig0 address, CIDR or "dhcp"'),
    gateway: z
      .string()
      .regex(ipv4, { message: 'expected an IPv4 address like 10.0.0.1' })
      .optional()
      .describe('cloud-init ipconfig0 gateway'),
    ip6: z
      .string()
      .refine(
        (v) =>
          v === 'dhcp' ||
          v === 'auto' ||
          (/^[^/]+\/\d{1,3}$/.test(v) &&
            isIpv6(v.split('/')[0]!) &&
            Number(v.split('/')[1]) >= 8 &&
            Number(v.split('/')[1]) <= 128),
        {
          message:
            'expected an IPv6 address with a prefix length of 8 to 128 like 2001:db8::21/64, "dhcp" or "auto" (SLAAC)',
        },
      )
      .optional()
      .describe('cloud-init ipconfig0 IPv6: CIDR, "dhcp" or "auto" (SLAAC, cloud-init 19.4 or newer)'),
    gateway6: z
      .string()
      .refine(isIpv6, { message: 'expected an IPv6 address like 2001:db8::1' })
      .optional()
      .describe('cloud-init ipconfig0 IPv6 gateway'),
    nameserver: z
      .array(
        // Proxmox's address-list also takes names, but resolv.conf needs addresses.
        z.string().refine((v) => ipv4.test(v) || isIpv6(v), {
          message: 'expected an IPv4 or IPv6 address (a DNS server must be an address)',
        }),
      )
      .min(1)
      .max(3)
      .optional()
      .describe("cloud-init DNS servers; with neither this nor searchdomain Proxmox uses the host's"),
    searchdomain: z
      .array(z.string().regex(dnsName, { message: 'expected a DNS domain like farm-north.example.net' }))
      .min(1)
      .max(6)
      .optional()
      .describe('cloud-init DNS search domains'),
    cores: z
      .number()
      .int()
      .min(1, 'expected at least 1 core')
      .max(512)
      .optional()
      .describe('cores per socket (Proxmox minimum 1)'),
    sockets: z.number().int().min(1, 'expected at least 1 socket').max(16).optional().describe('CPU sockets'),
    memory_mib: z
      .number()
      .int()
      .min(16, "expected at least 16 MiB (Proxmox's minimum)")
      .optional()
      .describe('memory in MiB (Proxmox memory current=…)'),
    resize: z
      .array(
        z.strictObject({
          disk: z
            .string()
            .regex(DRIVE, { message: 'expected a Proxmox disk name like scsi0, virtio0, sata0, ide0, efidisk0' }),
          size: z
            .string()
            .regex(/^\+?\d+(\.\d+)?[KMGT]?$/, {
              message: 'expected a size like 32G (absolute) or +8G (added); K, M, G, T',
            })
            .describe('absolute (32G) or added (+8G); Proxmox never shrinks a disk'),
        }),
      )
      .max(8)
      .optional()
      .describe('grow disks after the clone (PUT …/resize), e.g. [{ disk: scsi0, size: 32G }]'),
    ssh_keys: z
      .array(
        z.string().regex(/^(ssh-|ecdsa-|sk-)\S+ \S+/, {
          message: 'expected an OpenSSH public key line ("ssh-ed25519 AAAA… comment")',
        }),
      )
      .optional()
      .describe('public keys for cloud-init (public, so inline is fine)'),
    ciuser: z
      .string()
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'expected a user name' })
      .optional()
      .describe('cloud-init user'),
    token: secretRefSchema
      .default({ secret: 'env:PROXMOX_TOKEN' })
      .describe('API token "USER@REALM!TOKENID=SECRET", by reference; sent as Authorization: PVEAPIToken=…'),
    tls_insecure: z.boolean().default(false).describe('accept a self-signed certificate (prefer ca_file)'),
    ca_file: z.string().min(1).optional().describe('PEM file of the CA that signed the Proxmox certificate'),
    start: z.boolean().default(true).describe('start the VM after configuring it'),
    wait_for_agent: z.boolean().default(false).describe('poll the QEMU guest agent until it reports the interfaces'),
    poll_interval_s: secondsSchema.default(2).describe('task and agent polling interval'),
  })
  .superRefine((w, ctx) => {
    // What Proxmox refuses or silently ignores, said before the clone.
    if (w.full === false && w.storage)
      ctx.addIssue({
        code: 'custom',
        path: ['storage'],
        message: 'storage is for full clones only (Proxmox: "parameter \'storage\' not allowed for linked clones")',
      });
    if (w.full === false && w.format)
      ctx.addIssue({
        code: 'custom',
        path: ['format'],
        message: 'format is for full clones only (Proxmox: "parameter \'format\' not allowed for linked clones")',
      });
    if (w.gateway && w.ip === 'dhcp')
      ctx.addIssue({
        code: 'custom',
        path: ['gateway'],
        message:
          'a gateway with ip dhcp: Proxmox\'s cloud-init drops the whole ipconfig0 ("gateway specified together with DHCP")',
      });
    if (w.gateway6 && !w.ip6)
      ctx.addIssue({
        code: 'custom',
        path: ['gateway6'],
        message: 'gateway6 needs ip6 (Proxmox: "missing property required by \'gw6\'")',
      });
    if (w.gateway6 && (w.ip6 === 'dhcp' || w.ip6 === 'auto')) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway6'],
        message: `a gateway6 with ip6 ${w.ip6}: Proxmox's cloud-init drops the whole ipconfig0 ("IPv6 gateway specified together with ${w.ip6} address")`,
      });
    }
    const disks = (w.resize ?? []).map((r) => r.disk);
    disks.forEach((d, i) => {
      if (disks.indexOf(d) !== i)
        ctx.addIssue({ code: 'custom', path: ['resize', i, 'disk'], message: `${d} is resized twice` });
    });
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
