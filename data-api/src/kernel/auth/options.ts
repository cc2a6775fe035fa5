import { z } from 'zod';

/** How the API decides who a request comes from, besides bearer tokens. */
export interface AuthOptions {
  /** contracts.md: reads open to localhost, default on in embedded mode. */
  openReads: boolean;
  proxy: ProxyIdentityOptions | null;
}

/**
 * Behind an SSO proxy (Authentik, oauth2-proxy) the API trusts an identity header, but
 * only on connections from the proxy's own addresses; from anywhere else it is ignored.
 */
export interface ProxyIdentityOptions {
  trustedAddresses: string[];
  userHeader: string;
  groupsHeader: string;
  /** Proxy group → fleetbook role; the highest mapped role wins. */
  roleMap: Record<string, 'viewer' | 'operator' | 'automation' | 'admin'>;
  /** Role of an authenticated user in no mapped group; null refuses them. */
  defaultRole: 'viewer' | 'operator' | null;
}

const role = z.enum(['viewer', 'operator', 'automation', 'admin']);

/** `fleet-admins=admin,fleet-ops=operator` → { 'fleet-admins': 'admin', … } */
export const roleMapSchema = z.string().transform((value, ctx) => {
  const map: ProxyIdentityOptions['roleMap'] = {};
  for (const pair of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [group, r] = pair.split('=').map((s) => s.trim());
    const parsed = role.safeParse(r);
    if (!group || !parsed.success) {
      ctx.addIssue({
        code: 'custom',
        message: `expected group=role pairs (roles: viewer, operator, automation, admin), got "${pair}"`,
      });
      return z.NEVER;
    }
    map[group] = parsed.data;
  }
  return map;
});

/** Normalises `::ffff:10.0.0.1` to `10.0.0.1` so IPv4 proxies match on dual-stack sockets. */
export const normaliseAddress = (address: string | undefined): string => (address ?? '').replace(/^::ffff:/, '');

export const isLoopback = (address: string | undefined): boolean => {
  const a = normaliseAddress(address);
  return a === '::1' || a.startsWith('127.');
};
