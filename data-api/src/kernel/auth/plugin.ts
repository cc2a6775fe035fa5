import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RESERVED_NAME, reservedNameMessage } from '../../contracts/auth.ts';
import { forbidden, unauthorized } from '../errors/index.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';
import { isLoopback, normaliseAddress, type ProxyIdentityOptions } from './options.ts';
import { allows, WRITE_METHODS, type AuthRequirement, type Principal, type WriteScope } from './roles.ts';
import { principalForToken } from './service.ts';

/** One /api/v1 route as the auth plugin enforces it (what the HTTP contract's write-route table lists). */
export interface RouteAccess {
  method: string;
  url: string;
  auth: AuthRequirement;
  scope: WriteScope | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every /api/v1 route with its requirement, in registration order (the live route list). */
    routeAccess: RouteAccess[];
  }
  interface FastifyContextConfig {
    /** Every /api/v1 route declares who may call it; the app refuses to start otherwise. */
    auth?: AuthRequirement;
    /** Every /api/v1 write route declares whether a customer-scoped principal may call it. */
    scope?: WriteScope;
  }
}

const ROLE_RANK = { viewer: 0, operator: 1, automation: 1, admin: 2 } as const;

/**
 * Resolves `request.principal` (bearer token → proxy identity → open localhost read)
 * and enforces each route's `config.auth`. The requirement also lands in the OpenAPI
 * document, so the docs and the enforcement cannot drift apart.
 */
export const authPlugin = fp(async function auth(app: FastifyInstance) {
  const { auth } = app.ctx;
  app.decorateRequest('principal', null);
  app.decorate('routeAccess', [] as RouteAccess[]);

  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1') || route.method === 'HEAD' || route.method === 'OPTIONS') return;
    const need = route.config?.auth;
    if (!need) throw new Error(`route ${String(route.method)} ${route.url} declares no auth requirement (config.auth)`);
    const methods = [route.method].flat().map(String);
    const scope = route.config?.scope;
    if (methods.some((m) => WRITE_METHODS.has(m)) && !scope) {
      throw new Error(
        `write route ${methods.join(',')} ${route.url} declares no tenant scope (config.scope: 'tenant' or 'unscoped')`,
      );
    }
    for (const method of methods) app.routeAccess.push({ method, url: route.url, auth: need, scope: scope ?? null });
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    if (need === 'public') schema.security = [];
    else {
      schema.security = [{ bearer: [] }];
      const who =
        need === 'viewer'
          ? 'any role'
          : need === 'operator_or_automation'
            ? 'operator or automation (or admin)'
            : need === 'station'
              ? 'station token'
              : need === 'admin'
                ? 'admin'
                : `${need} (or admin)`;
      const tenancy = scope === 'unscoped' ? ', with a token not scoped to a customer (shared by every customer)' : '';
      schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Requires: ${who}${tenancy}.`;
      // Every guarded route can answer 401 and 403: say so in its documented responses.
      const response = schema.response as Record<string, unknown> | undefined;
      if (response) {
        response[401] ??= ERROR_RESPONSES[401];
        response[403] ??= ERROR_RESPONSES[403];
      }
    }
  });

  // Who may call is decided before the body is parsed or validated: an anonymous or
  // under-privileged caller gets 401/403, never a 400 that probes the schema.
  app.addHook('onRequest', async (request) => {
    request.principal = await resolvePrincipal(app, request);
    const need = request.routeOptions.config?.auth;
    if (!need || need === 'public') return;
    const principal = request.principal;
    if (!principal) throw unauthorized();
    if (!allows(principal, need)) {
      throw forbidden(
        `${principal.name} (role ${principal.role}) may not ${request.method} ${request.routeOptions.url}: requires ${need}`,
      );
    }
    if (request.routeOptions.config?.scope === 'unscoped' && principal.customerId !== null) {
      throw forbidden(
        `${request.method} ${request.routeOptions.url} changes what every customer shares: a token scoped to customer ${principal.customerId} may not; use one that is not scoped to a customer`,
      );
    }
  });

  async function resolvePrincipal(app: FastifyInstance, request: FastifyRequest): Promise<Principal | null> {
    const header = request.headers.authorization;
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = match ? await principalForToken(app.ctx.db, match[1]!) : null;
      // A presented but unknown token is an error, not a silent downgrade to anonymous.
      if (!principal) throw unauthorized('the bearer token is unknown, malformed or revoked');
      return principal;
    }
    const remote = request.socket.remoteAddress;
    if (auth.proxy && auth.proxy.trustedAddresses.includes(normaliseAddress(remote))) {
      const fromProxy = proxyPrincipal(auth.proxy, request);
      if (fromProxy) return fromProxy;
    }
    if (auth.openReads && (request.method === 'GET' || request.method === 'HEAD') && isLoopback(remote)) {
      return { kind: 'anonymous', name: 'localhost', role: 'viewer', customerId: null, stationId: null };
    }
    return null;
  }
});

function proxyPrincipal(proxy: ProxyIdentityOptions, request: FastifyRequest): Principal | null {
  const user = headerValue(request, proxy.userHeader);
  if (!user) return null;
  // The audit log must not show a person as one of fleetbook's own actors.
  if (RESERVED_NAME.test(user)) throw forbidden(reservedNameMessage(user));
  const groups = (headerValue(request, proxy.groupsHeader) ?? '')
    .split(/[,|]/)
    .map((g) => g.trim())
    .filter(Boolean);
  let role: Principal['role'] | null = proxy.defaultRole;
  for (const group of groups) {
    const mapped = proxy.roleMap[group];
    if (mapped && (role === null || ROLE_RANK[mapped] > ROLE_RANK[role as keyof typeof ROLE_RANK])) role = mapped;
  }
  if (!role) throw forbidden(`${user} is in no group mapped to a fleetbook role`);
  return { kind: 'proxy', name: user, role, customerId: null, stationId: null };
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
