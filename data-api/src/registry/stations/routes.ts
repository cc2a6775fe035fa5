import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  eventsResponseSchema,
  stationClaimCreatedSchema,
  stationClaimCreateSchema,
  stationClaimRequestSchema,
  stationClaimResponseSchema,
  stationEventsBodySchema,
  stationEventsBodyDocumented,
  stationMapSchema,
  stationParams,
  stationSchema,
  stationStatusQuerySchema,
  stationStatusSchema,
} from '../../contracts/stations.ts';
import { ERROR_RESPONSES } from '../../kernel/errors/responses.ts';
import { ClaimLimiter } from './codes.ts';
import { ingestEvents } from './events.ts';
import { claimStation, createClaim, getStationStatus, mapStation } from './service.ts';

const tags = ['stations'];

/** RFID stations (contracts.md): claims, the claim itself, event ingest, status, mapping. */
export const stationRoutes: FastifyPluginAsyncZod = async (app) => {
  // Per app instance (per replica): see ClaimLimiter.
  const limiter = new ClaimLimiter();

  app.post(
    '/stations/claims',
    {
      config: { auth: 'admin', scope: 'tenant' },
      schema: {
        summary: 'Pre-register a station (MAC + label claim code)',
        description:
          'The claim code is stored hashed and never returned; leave it out and the API generates one, returned once so it can be printed on the label. ' +
          'A customer-scoped admin must give one of its sites.',
        tags,
        body: stationClaimCreateSchema,
        response: { 201: stationClaimCreatedSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => reply.status(201).send(await createClaim(app.ctx.db, request.principal!, request.body)),
  );

  app.post(
    '/stations/claim',
    {
      config: { auth: 'public', scope: 'tenant', limit: 'claim' },
      schema: {
        summary: 'A station claims its identity',
        description:
          'Public: the MAC and the claim code are the credential. A wrong pair answers one generic 401 and writes nothing. ' +
          'Claiming again with the same pair (a re-imaged station) returns the same station_id and a new token, and revokes the earlier ones.',
        tags,
        body: stationClaimRequestSchema,
        response: { 200: stationClaimResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => claimStation(app.ctx.db, request.body, limiter, request.ip),
  );

  app.post(
    '/events',
    {
      config: { auth: 'station', scope: 'tenant', limit: 'events', openapiBody: stationEventsBodyDocumented },
      schema: {
        summary: 'Post station events (one, or a batch of up to 500)',
        description:
          'Idempotent on event_id: a repeat answers 200 with duplicate: true and changes nothing. One event: 200 StationEventAck, or 400 when invalid. ' +
          'A batch ({ events: [...] }): 200 StationEventBatchAck with one result per event (accepted, duplicate, or rejected with the field and the reason). ' +
          "An event or body naming another station than the token's: 403, nothing stored.",
        tags,
        body: stationEventsBodySchema,
        response: { 200: eventsResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => ingestEvents(app.ctx.db, request.principal!, request.body),
  );

  app.get(
    '/stations/:id/status',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Station health and its latest events',
        tags,
        params: stationParams,
        querystring: stationStatusQuerySchema,
        response: { 200: stationStatusSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => getStationStatus(app.ctx.db, request.principal!, request.params.id, request.query.events),
  );

  app.post(
    '/stations/:id/map',
    {
      config: { auth: 'admin', scope: 'tenant' },
      schema: {
        summary: 'Assign a station to a site and a line',
        description: "The station device's site and customer become the site's. Audited and on the change feed.",
        tags,
        params: stationParams,
        body: stationMapSchema,
        response: { 200: stationSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => mapStation(app.ctx.db, request.principal!, request.params.id, request.body),
  );
};
