import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { ApiError, formatPath, type ErrorBody, type ValidationIssue } from './index.ts';

/**
 * Turns every failure into the contract's error body. Request validation (zod) becomes
 * 400 with one issue per bad field; Fastify's own body errors (bad JSON, wrong content
 * type, too large) get the same shape with the path `body`.
 */
export const errorHandlerPlugin = fp(async function errorHandler(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) return reply.status(err.statusCode).send(err.toBody());

    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const issues: ValidationIssue[] = err.validation.flatMap((v) => {
        // The provider flattens zod's path into instancePath; array indexes come back as digits.
        const path: PropertyKey[] = v.instancePath
          .split('/')
          .filter(Boolean)
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
        const unknownKeys = v.keyword === 'unrecognized_keys' ? ((v.params as { keys?: string[] }).keys ?? []) : [];
        if (unknownKeys.length > 0) {
          return unknownKeys.map((key) => ({
            path: formatPath([where, ...path, key]),
            message: `unknown field "${key}"`,
          }));
        }
        return [{ path: formatPath([where, ...path]), message: v.message ?? 'invalid' }];
      });
      const body: ErrorBody = {
        error: 'validation',
        message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        issues,
      };
      return reply.status(400).send(body);
    }

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
