import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, type ErrorBody } from './index.ts';

/**
 * Turns every failure into the contract's error body. Request validation (zod) arrives as a
 * 400 ApiError with one issue per bad field (the validator compiler, ../validation/zod-issues.ts);
 * Fastify's own body errors (bad JSON, wrong content type, too large) get the same shape with
 * the path `body`.
 */
export const errorHandlerPlugin = fp(async function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) return reply.status(err.statusCode).send(err.toBody());

    if (isResponseSerializationError(err)) {
      request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.status(500).send({ error: 'internal', message: 'the response did not match its schema' });
    }

    const status = err.statusCode ?? 500;
    if (status === 413) return reply.status(413).send({ error: 'payload_too_large', message: err.message });
    if (status === 415) return reply.status(415).send({ error: 'unsupported_media_type', message: err.message });
    if (status >= 400 && status < 500) {
      // Malformed JSON, empty body with a JSON content type, and the like.
      const body: ErrorBody = {
        error: 'validation',
        message: err.message,
        issues: [{ path: 'body', message: err.message }],
      };
      return reply.status(400).send(body);
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: 'internal', message: 'internal error' });
  });
});
