import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';

type CompileResponse = Parameters<typeof zodSerializerCompiler>[0];

const asBuilt = new WeakSet<object>();

/**
 * Marks a response schema whose answers the route builds field by field, exactly as the schema
 * lists them (e.g. the device page: toPage of toDevice): they are sent as built, without zod's
 * parse, which copies every object to check and strip it (an eighth of the API's CPU on a page
 * of 50 devices, plus its garbage; issue #18). The bytes are the same as long as the answer
 * matches its schema; a test of each marked route holds it to that (the body is a fixed point
 * of the schema's parse).
 */
export function sentAsBuilt<T extends object>(schema: T): T {
  asBuilt.add(schema);
  return schema;
}

/** Every other answer: zod's parse (checks, strips unknown keys), then JSON.stringify. */
export const serializerCompiler = ((route: CompileResponse) =>
  asBuilt.has(route.schema as object)
    ? (data: unknown) => JSON.stringify(data)
    : zodSerializerCompiler(route)) as typeof zodSerializerCompiler;
