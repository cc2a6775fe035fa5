/**
 * Edits of one route's JSON schemas (after zod → JSON Schema, before @fastify/swagger builds the
 * operation) for what the route schema alone cannot say in OpenAPI.
 */
type JsonSchema = Record<string, unknown>;

const QUERY_OBJECT = 'x-fleetbook-query-object';

/**
 * A query that is a map (`z.record`: free keys such as a surface's `site=…`) is one parameter of
 * type object, serialised form-style and exploded (`?site=a&line=b`). Left to @fastify/swagger, the
 * map's own keywords (`type`, `propertyNames`, …) would become four parameters that do not exist.
 * The route carries it as an `x-` key (copied onto the operation); `finishDocument` makes it a parameter.
 */
export function documentQueryMap(schema: JsonSchema, name = 'params'): void {
  const query = schema.querystring as JsonSchema | undefined;
  if (!query || query.properties || !query.additionalProperties) return;
  const { description, ...map } = bare(query);
  delete schema.querystring;
  schema[QUERY_OBJECT] = {
    name,
    in: 'query',
    required: false,
    style: 'form',
    explode: true,
    ...(description ? { description } : {}),
    schema: { ...map, type: 'object' },
  };
}

/**
 * The whole document, once built: query objects become parameters, and components no operation
 * reaches are dropped (every zod schema with an id is registered, MQTT payloads and `…Input`
 * twins included; they are not part of the HTTP API).
 */
export function finishDocument<T>(document: T): T {
  const doc = document as {
    paths?: Record<string, Record<string, JsonSchema>>;
    components?: { schemas?: Record<string, unknown> };
  };
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const parameter = operation[QUERY_OBJECT];
      if (!parameter) continue;
      delete operation[QUERY_OBJECT];
      operation.parameters = [parameter, ...((operation.parameters as unknown[] | undefined) ?? [])];
    }
  }
  const schemas = doc.components?.schemas;
  if (schemas) hoistSharedDefs(doc, schemas);
  // A ref may point into a component (`Foo/properties/bar`): the component is used.
  if (schemas) {
    const used = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(visit);
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        const name =
          key === '$ref' && typeof value === 'string'
            ? /^#\/components\/schemas\/([^/#]+)/.exec(value)?.[1]
            : undefined;
        if (name !== undefined) {
          const decoded = decodeURIComponent(name).replace(/~1/g, '/').replace(/~0/g, '~');
          if (!used.has(decoded)) {
            used.add(decoded);
            visit(schemas[decoded]);
          }
        } else visit(value);
      }
    };
    visit(doc.paths);
    for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  }
  return document;
}

/**
 * zod writes the parts of recursive schemas (`z.json()`) as `$defs` of a `__shared` component and
 * refers to them as `#/components/schemas/__shared#/$defs/schema0`, a ref tools cannot follow:
 * each def becomes a component of its own (`Shared_schema0`) and the refs say so.
 */
function hoistSharedDefs(doc: unknown, schemas: Record<string, unknown>): void {
  const renamed = new Map<string, string>();
  for (const [name, component] of Object.entries(schemas)) {
    const defs = /^__shared/.test(name) ? (component as { $defs?: Record<string, unknown> }).$defs : undefined;
    if (!defs) continue;
    for (const [def, schema] of Object.entries(defs)) {
      const target = `${name.replace(/^__shared/, 'Shared')}_${def}`;
      schemas[target] = schema;
      renamed.set(`#/components/schemas/${name}#/$defs/${def}`, `#/components/schemas/${target}`);
    }
    delete schemas[name];
  }
  if (renamed.size === 0) return;
  const rewrite = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(rewrite);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      if (key === '$ref' && typeof value === 'string' && renamed.has(value)) record[key] = renamed.get(value);
      else rewrite(value);
    }
  };
  rewrite(doc);
}

/**
 * An answer that is not JSON (Prometheus text, an event stream, a page, a download): its media
 * types only, each with the status's schema.
 */
export function documentMediaTypes(
  schema: JsonSchema,
  status: number | string,
  mediaTypes: string | readonly string[],
): void {
  const response = schema.response as Record<string, JsonSchema> | undefined;
  const answer = response?.[String(status)];
  if (!response || !answer || answer.content) return;
  const { description, ...body } = answer;
  const types: readonly string[] = typeof mediaTypes === 'string' ? [mediaTypes] : mediaTypes;
  response[String(status)] = {
    description: description ?? 'Default Response',
    content: Object.fromEntries(types.map((type) => [type, { schema: bare(body) }])),
  };
}

/** The 200 answer of a list that also streams CSV: both media types, the CSV one a plain string. */
export function documentCsv(schema: JsonSchema): void {
  const response = schema.response as Record<string, JsonSchema> | undefined;
  const ok = response?.['200'];
  if (!response || !ok || ok.content) return;
  const { description, ...json } = ok;
  response['200'] = {
    description: description ?? 'Default Response',
    content: {
      'application/json': { schema: bare(json) },
      'text/csv': {
        schema: {
          type: 'string',
          description:
            'RFC 4180, a header row then one row per item; nested values as JSON. Sent with `Accept: text/csv`.',
        },
      },
    },
  };
}

// zod's JSON Schema carries a dialect and a placeholder $id that swagger strips only where it places schemas itself.
function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** A rate-limited route: its limit in the description, and the 429 answer with `Retry-After`. */
export function documentRateLimit(schema: JsonSchema, note: string): void {
  if (!note) return;
  // Before the closing "Requires: …" paragraph of the auth plugin, which stays last.
  const description = (schema.description as string | undefined) ?? '';
  const requires = /(?:^|\n\n)(Requires: [^\n]+)$/.exec(description);
  const body = requires ? description.slice(0, requires.index) : description;
  schema.description = [body, note, requires?.[1]].filter(Boolean).join('\n\n');
  const response = (schema.response ??= {}) as Record<string, JsonSchema>;
  response['429'] = {
    description: 'Too many requests: the limit of this route is spent for this window',
    headers: {
      'retry-after': { type: 'integer', description: 'seconds until the window ends' },
      'x-ratelimit-limit': { type: 'integer', description: 'requests allowed per window' },
      'x-ratelimit-remaining': { type: 'integer', description: 'requests left in this window' },
      'x-ratelimit-reset': { type: 'integer', description: 'seconds until the window ends' },
    },
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}
