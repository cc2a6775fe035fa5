// What the automation-runs route modules share: the app type, the answers, idempotency keys.
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WriteResult } from './service.ts';

/** The app a route module registers on (the automation-runs plugin's, with its zod type provider). */
export type RunsApp = Parameters<FastifyPluginAsyncZod>[0];

export const tags = ['automation'];

/** A write's answer: its status and body, flagged when it repeats an applied write (same Idempotency-Key). */
export function send<T>(reply: FastifyReply, result: WriteResult<T>) {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}

export const keyOf = (headers: { 'idempotency-key'?: string }) => ({ idempotencyKey: headers['idempotency-key'] });
