// The notifications API: silences, the delivery log of an alert, the acknowledge link of a
// message, and the alert rules with their live counts. Routes only: the work is in the
// modules of this folder and in health/alerts/service.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { acknowledgeAlert, getAlert } from '../health/alerts/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { alertIdParams } from '../contracts/alerts.ts';
import {
  alertRuleList,
  deliveryList,
  notificationAckParams as ackParams,
  notificationAckPages,
  notificationAckQuery as ackQuery,
  silenceCreateSchema,
  silenceIdParams,
  silenceList,
  silenceListQuery,
  silenceSchema,
} from '../contracts/notifications.ts';
import { ERROR_RESPONSES } from '../kernel/errors/responses.ts';
import { ackLinkKey, verifyAck } from './deliver.ts';
import { deliveriesOf, listAlertRules } from './log.ts';
import { createSilence, expireSilence, listSilences } from './silence.ts';

const tags = ['notifications'];

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">` +
  `<title>${escapeHtml(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}` +
  `button{font:inherit;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#2e8555;color:#fff;cursor:pointer}li{margin:.3rem 0}</style></head>` +
  `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

type App = Parameters<FastifyPluginAsyncZod>[0];

// Registered in this order (the OpenAPI document lists them so).
export const notificationRoutes: FastifyPluginAsyncZod = async (app) => {
  silenceRoutes(app);
  alertRoutes(app);
  ackLinkRoutes(app);
};

function silenceRoutes(app: App): void {
  app.get(
    '/silences',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'List silences',
        description: 'Pending and active by default (state=expired for the past ones).',
        tags,
        querystring: silenceListQuery,
        response: { 200: silenceList, ...ERROR_RESPONSES },
      },
    },
    async (request) => ({ items: await listSilences(app.ctx.db, request.principal!, request.query.state.split(',')) }),
  );

  app.post(
    '/silences',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Silence alerts',
        description:
          'Matching alerts are not sent while the silence is active (they still show on the dashboard). A customer-scoped token silences only its customer.',
        tags,
        body: silenceCreateSchema,
        response: { 201: silenceSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => reply.status(201).send(await createSilence(app.ctx.db, request.principal!, request.body)),
  );

  app.delete(
    '/silences/:id',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Expire a silence now',
        tags,
        params: silenceIdParams,
        response: { 200: silenceSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => expireSilence(app.ctx.db, request.principal!, request.params.id),
  );
}

/** The delivery log of an alert and the alert rules with their live counts. */
function alertRoutes(app: App): void {
  app.get(
    '/alerts/:id/notifications',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The delivery log of an alert',
        description:
          "Every message that listed it (per contact point and escalation step), with each attempt: when, the receiver's status and answer.",
        tags: ['alerts', ...tags],
        params: alertIdParams,
        response: { 200: deliveryList, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      await getAlert(app.ctx.db, request.principal!, request.params.id); // 404 for another tenant's alert
      return { items: await deliveriesOf(app.ctx.db, request.params.id) };
    },
  );

  app.get(
    '/alert-rules',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Alert rules with their live counts',
        description: "From notifications/rules.yaml as this replica loaded it; counts are the caller's tenant's.",
        tags,
        response: { 200: alertRuleList, ...ERROR_RESPONSES },
      },
    },
    async (request) => listAlertRules(app.ctx, request.principal!),
  );
}

function ackLinkRoutes(app: App): void {
  // The link in a message: GET shows what it acknowledges (mail scanners follow links: a GET
  // never changes anything), the button POSTs. The signature is the authorisation.
  // Tenant scope: the link acknowledges only the alerts of its own message.
  const ackRoute = {
    config: {
      auth: 'public' as const,
      scope: 'tenant' as const,
      media: { 200: 'text/html', 403: 'text/html', 410: 'text/html' },
    },
    // Errors of the request itself (a link cut short: no sig) stay the JSON 400 of every route.
    schema: {
      tags,
      params: ackParams,
      querystring: ackQuery,
      response: { ...notificationAckPages, 400: ERROR_RESPONSES[400] },
    },
  };
  const resolveLink = async (id: string, q: { exp: number; sig: string }) => {
    const verdict = verifyAck(await ackLinkKey(app.ctx.db), id, q.exp, q.sig);
    if (verdict !== 'ok')
      return { verdict, notification: null, alerts: [] as Array<{ id: string; title: string; state: string }> };
    const notification = await app.ctx.db
      .selectFrom('notifications')
      .select(['id', 'contact_point'])
      .where('id', '=', id)
      .executeTakeFirst();
    const alerts = notification
      ? await app.ctx.db
          .selectFrom('notification_alerts as na')
          .innerJoin('alerts as a', 'a.id', 'na.alert_id')
          .select(['a.id', 'a.title', 'a.state'])
          .where('na.notification_id', '=', id)
          .orderBy('a.id')
          .execute()
      : [];
    return { verdict: notification ? ('ok' as const) : ('invalid' as const), notification, alerts };
  };
  const refusal = (verdict: 'expired' | 'invalid') =>
    page(
      verdict === 'expired' ? 'This link has expired' : 'This link is not valid',
      `<p>${verdict === 'expired' ? 'Acknowledge the alert on the alerts dashboard instead.' : 'It may have been copied incompletely.'}</p>`,
    );

  app.get(
    '/notifications/:id/ack',
    {
      ...ackRoute,
      schema: { ...ackRoute.schema, summary: 'The acknowledge page of a message (signed, expiring link)' },
    },
    async (request, reply) => {
      const link = await resolveLink(request.params.id, request.query);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (link.verdict !== 'ok')
        return reply.status(link.verdict === 'expired' ? 410 : 403).send(refusal(link.verdict));
      const open = link.alerts.filter((a) => a.state === 'open');
      const list = link.alerts.map((a) => `<li>${escapeHtml(a.title)} — <em>${a.state}</em></li>`).join('');
      const form = open.length
        ? `<form method="post"><button type="submit">Acknowledge ${open.length === 1 ? 'it' : `these ${open.length}`}</button></form>`
        : '<p>Nothing left to acknowledge.</p>';
      return reply.send(
        page(
          `Acknowledge ${link.alerts.length === 1 ? 'an alert' : `${link.alerts.length} alerts`}`,
          `<ul>${list}</ul>${form}`,
        ),
      );
    },
  );

  app.post(
    '/notifications/:id/ack',
    {
      ...ackRoute,
      schema: { ...ackRoute.schema, summary: 'Acknowledge every open alert of a message (signed, expiring link)' },
    },
    async (request, reply) => {
      const link = await resolveLink(request.params.id, request.query);
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
      if (link.verdict !== 'ok')
        return reply.status(link.verdict === 'expired' ? 410 : 403).send(refusal(link.verdict));
      const who: Principal = {
        kind: 'token',
        name: `ack-link:${link.notification!.contact_point}`,
        role: 'operator',
        customerId: null,
        stationId: null,
      };
      const done: string[] = [];
      for (const a of link.alerts) {
        if (a.state !== 'open') continue;
        await acknowledgeAlert(app.ctx.db, who, a.id, 'acknowledged from the link in a message');
        done.push(a.title);
      }
      return reply.send(
        page(
          'Acknowledged',
          done.length
            ? `<ul>${done.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul><p>The escalation stops here.</p>`
            : '<p>Nothing left to acknowledge.</p>',
        ),
      );
    },
  );
}
