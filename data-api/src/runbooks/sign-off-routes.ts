// Gate sign-off, and the people who may sign off `lead` gates.
import { z } from 'zod';
import {
  gateParams,
  executionSchema,
  leadListSchema,
  leadParams,
  leadSchema,
  signOffRequestSchema,
  whoamiSchema,
} from '../contracts/executions.ts';
import { tags, type RunbooksApp, type RunbooksDeps } from './route-deps.ts';
import { RESPONSES } from './schemas.ts';
import { grantLead, listLeads, revokeLead, signOffGate, whoami } from './service.ts';

/** POST /runbook-executions/:id/gates/:gate_id/sign-off; GET /runbook-leads, …/me, PUT/DELETE …/:name. */
export function signOffRoutes(app: RunbooksApp, { db }: RunbooksDeps): void {
  app.post(
    '/runbook-executions/:id/gates/:gate_id/sign-off',
    {
      config: { auth: 'viewer', scope: 'tenant' },
      schema: {
        summary: 'Sign off a gate',
        description:
          "The gate's `sign_off` role decides who may (403 otherwise): `lead` = an admin or an operator listed under /runbook-leads; other roles as their token role (admin always). Every item of the gate must be ticked (409).",
        tags,
        params: gateParams,
        body: signOffRequestSchema,
        response: { 200: executionSchema, ...RESPONSES },
      },
    },
    async (request) => signOffGate(db(), request.principal!, request.params.id, request.params.gate_id, request.body),
  );

  /* ---------------------------------------------------------------- leads */

  app.get(
    '/runbook-leads',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'People who may sign off `lead` gates (besides admins)',
        tags,
        response: { 200: leadListSchema, ...RESPONSES },
      },
    },
    async () => listLeads(db()),
  );
  app.get(
    '/runbook-leads/me',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Who the caller is, and whether they may sign off `lead` gates',
        tags,
        response: { 200: whoamiSchema, ...RESPONSES },
      },
    },
    async (request) => whoami(db(), request.principal!),
  );
  app.put(
    '/runbook-leads/:name',
    {
      config: { auth: 'admin', scope: 'unscoped' },
      schema: {
        summary: 'List a person (token or SSO name) as a lead',
        tags,
        params: leadParams,
        response: { 200: leadSchema, ...RESPONSES },
      },
    },
    async (request) => grantLead(db(), request.principal!, request.params.name),
  );
  app.delete(
    '/runbook-leads/:name',
    {
      config: { auth: 'admin', scope: 'unscoped' },
      schema: { summary: 'Remove a lead', tags, params: leadParams, response: { 204: z.null(), ...RESPONSES } },
    },
    async (request, reply) => {
      await revokeLead(db(), request.principal!, request.params.name);
      return reply.status(204).send(null);
    },
  );
}
