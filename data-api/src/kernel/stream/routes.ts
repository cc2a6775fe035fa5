import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import fp from 'fastify-plugin';
import { z } from 'zod';
import {
  STREAM_EVENTS,
  streamQuerySchema,
  type ChangeEventMessage,
  type LiveSample,
  type StreamReady,
  type StreamReset,
} from '../../contracts/stream.ts';
import { ERROR_RESPONSES } from '../errors/responses.ts';
import { StreamHub, type StreamClient } from './hub.ts';

declare module 'fastify' {
  interface FastifyInstance {
    hub: StreamHub;
  }
}

/**
 * The 200 answer as the OpenAPI document describes it: text/event-stream, each event's `data:`
 * JSON Schema (from its contract, STREAM_EVENTS) under `x-fleetbook-events`.
 */
const streamBody = z.string().meta({
  description:
    'Server-Sent Events (text/event-stream, UTF-8): `retry: 2000` first, then `event: change` (with `id:`) for registry, ' +
    'health, alert, execution and automation changes, its data a ChangeEvent; `event: surface` (with `id:`) a ChangeEvent ' +
    'of a surface.* type; `event: telemetry` (no id, never replayed) a LiveSample; `event: ready` ({last_event_id}) once ' +
    'the replay is written; `event: reset` ({reason}) when Last-Event-ID is outside the replay window (re-read by REST). ' +
    'A `: keepalive` comment every 15 s. Each `data:` line is one JSON document; x-fleetbook-events gives its schema.',
  'x-fleetbook-events': Object.fromEntries(
    Object.entries(STREAM_EVENTS).map(([event, schema]) => [
      event,
      // A registry of its own: the schema inline, not a $ref to a component no operation names.
      (({ $schema: _dialect, ...json }) => json)(z.toJSONSchema(schema, { io: 'output', metadata: z.registry() })),
    ]),
  ),
});

/** Comment line every 15 s: keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/** One hub per process, started with the app and stopped (streams ended) on close. */
export const streamHubPlugin = fp(async function streamHub(app) {
  const hub = new StreamHub(app.ctx.db, app.ctx.database, (err) => app.log.error({ err }, 'stream hub'));
  app.decorate('hub', hub);
  app.addHook('onReady', () => hub.start());
  app.addHook('preClose', () => hub.stop());
});

export const streamRoutes: FastifyPluginAsyncZod = async (app) => {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/stream',
    {
      config: { auth: 'viewer', media: { 200: 'text/event-stream' } },
      schema: {
        summary: 'Server-Sent Events: the live change feed',
        description:
          'event: change (with id) for registry, health, alert, execution and automation changes; event: telemetry (no id) for live samples. ' +
          'Resume with the Last-Event-ID header (or last_event_id=) within the replay window; outside it an event: reset says to re-fetch by REST.',
        tags: ['stream'],
        querystring: streamQuerySchema,
        response: { 200: streamBody, 400: ERROR_RESPONSES[400] },
      },
    },
    async (request, reply) => {
      const topics = request.query.topics ? request.query.topics.split(',') : [];
      const header = request.headers['last-event-id'];
      const headerId = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
      const lastEventId = headerId ?? request.query.last_event_id;
      const principal = request.principal!;

      reply.hijack();
      const res = reply.raw;
      // The client may already be gone: it can drop while its token is checked, before this
      // handler runs, and then no 'close' event is left to come. Nothing to hold or release.
      if (res.destroyed || request.raw.socket.destroyed) return;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...corsHeaders(request.headers.origin, app.ctx.corsOrigins),
      });
      res.write('retry: 2000\n\n');

      // Live events are held back until the replay is written, then deduplicated by id.
      let replayed = lastEventId ?? 0;
      let pending: Array<() => void> | null = [];
      const writeChange = (e: ChangeEventMessage) => {
        if (e.id <= replayed) return;
        replayed = e.id;
        // Surface updates (A2UI updateDataModel in the payload) travel as `event: surface`.
        res.write(
          `id: ${e.id}\nevent: ${e.type.startsWith('surface.') ? 'surface' : 'change'}\ndata: ${JSON.stringify(e)}\n\n`,
        );
      };
      const client: StreamClient = {
        topics,
        customerId: principal.customerId,
        sendChange: (e) => (pending ? pending.push(() => writeChange(e)) : writeChange(e)),
        sendLive: (s: LiveSample) => {
          if (pending) return;
          // A flush brings hundreds of samples in one turn of the event loop: one socket
          // write for all of them instead of a syscall each.
          if (!res.writableCorked) {
            res.cork();
            process.nextTick(() => res.uncork());
          }
          res.write(`event: telemetry\ndata: ${JSON.stringify(s)}\n\n`);
        },
      };
      // Registered with the client, before any await: a drop at any later moment releases it.
      const remove = app.hub.add(client);
      const keepalive = setInterval(() => res.write(`: keepalive\n\n`), KEEPALIVE_MS);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(keepalive);
        remove();
        open.delete(end);
        if (!res.writableEnded) res.end();
      };
      open.add(end);
      request.raw.on('close', end);
      res.on('close', end);

      if (lastEventId === undefined) {
        // A fresh client starts after the newest committed event; anything newer is queued.
        replayed = await app.hub.committedId();
      } else {
        const events = await app.hub.replay(lastEventId, client).catch(() => null);
        if (events === null) {
          res.write(
            `event: reset\ndata: ${JSON.stringify({ reason: 'Last-Event-ID is outside the replay window: re-fetch by REST' } satisfies StreamReset)}\n\n`,
          );
          replayed = app.hub.latestId();
        } else {
          for (const e of events) writeChange(e);
        }
      }
      // Gone during the replay: end() has released it; write nothing more.
      if (ended) return;
      const queued = pending;
      pending = null;
      for (const flush of queued) flush();
      res.write(`event: ready\ndata: ${JSON.stringify({ last_event_id: replayed } satisfies StreamReady)}\n\n`);
    },
  );
};

function corsHeaders(origin: string | undefined, allowed: string[]): Record<string, string> {
  return origin && allowed.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
}
