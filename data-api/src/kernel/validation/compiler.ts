import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { ApiError, validationError } from '../errors/index.ts';
import { noQuery, queryParamNames, unknownParamIssues } from '../../contracts/query-params.ts';
import { findUnstorable } from './storable.ts';
import { parseRequestPart } from './zod-issues.ts';

type CompileRequest = Parameters<typeof zodValidatorCompiler>[0];

/**
 * The zod validator of every route part (params, querystring, body, headers), preceded by
 * the storable-text check: a NUL byte or a lone surrogate anywhere in the part is a 400 that
 * names the field, for every schema at once, before zod or a query ever sees it. zod's issues
 * become the contract's in one place (zod-issues.ts: an unknown field gets its "did you mean").
 */
export const validatorCompiler = ((req: CompileRequest) => {
  const schema = req.schema as z.ZodType;
  const where = req.httpPart ?? 'body';
  // A query's parameters are its schema's keys, whatever the schema's own unknown-key mode
  // (a plain z.object would strip a typo silently); an open-ended one checks its own keys.
  const known = where === 'querystring' ? queryParamNames(req.schema) : null;
  return (data: unknown) => {
    const issues = findUnstorable(data, [where]);
    if (known) issues.push(...unknownParamIssues(data, known));
    if (issues.length > 0) return { error: validationError(issues) };
    const parsed = parseRequestPart(schema, data, where);
    return parsed.issues ? { error: validationError(parsed.issues) } : { value: parsed.value };
  };
}) as typeof zodValidatorCompiler;

/**
 * Request guards besides the schemas: every /api/v1 route with path parameters declares a
 * params schema (so every parameter goes through the check above; the app refuses to start
 * otherwise); an API route without a querystring schema takes none (so `?anything=` is a 400
 * at querystring.anything, not ignored); and a compressed request body is refused with 415
 * (the API reads bodies as sent; a gzip body would otherwise reach the JSON or multipart
 * parser as garbage).
 */
export const requestGuardsPlugin = fp(async function requestGuards(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1') && route.url !== '/metrics') return;
    const schema = (route.schema ??= {}) as { querystring?: unknown };
    schema.querystring ??= noQuery;
    if (!route.url.includes(':')) return;
    if (!(route.schema as { params?: unknown } | undefined)?.params) {
      throw new Error(`route ${String(route.method)} ${route.url} has path parameters but no params schema`);
    }
  });
  // preParsing: after the auth check (an unknown caller still gets 401), before any body is read.
  app.addHook('preParsing', async (request) => {
    const encoding = request.headers['content-encoding'];
    if (encoding === undefined || /^\s*identity\s*$/i.test(encoding)) return;
    throw new ApiError(
      'unsupported_media_type',
      `content-encoding ${encoding} is not supported: send the request body uncompressed`,
    );
  });
});
