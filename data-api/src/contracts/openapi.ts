// The part of an OpenAPI 3.1 document the site's API reference reads (`GET /api/v1/openapi.json`).
// Loose where OpenAPI is open-ended (schemas, extensions): the reference shows them as JSON.
import * as z from 'zod';

const mediaTypes = z.record(z.string(), z.looseObject({ schema: z.unknown().optional() }));

export const openApiOperationSchema = z.looseObject({
  operationId: z.string().optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  tags: z.array(z.string()).optional(),
  security: z.array(z.unknown()).optional(),
  parameters: z
    .array(
      z.looseObject({
        name: z.string(),
        in: z.string(),
        required: z.boolean().optional(),
        schema: z.unknown().optional(),
        description: z.string().optional(),
      }),
    )
    .optional(),
  requestBody: z.looseObject({ content: mediaTypes.optional() }).optional(),
  responses: z
    .record(z.string(), z.looseObject({ description: z.string().optional(), content: mediaTypes.optional() }))
    .optional(),
});
export type OpenApiOperation = z.infer<typeof openApiOperationSchema>;

export const openApiDocumentSchema = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  // A path item also holds `parameters`, `summary`…: only the HTTP methods are operations.
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.looseObject({ schemas: z.record(z.string(), z.unknown()).optional() }).optional(),
});
