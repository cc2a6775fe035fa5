// The one error body every route answers with (4xx): `error` is the kind, `issues` the fields at fault.
import * as z from 'zod';

export const errorSchema = z
  .object({
    error: z.string(),
    message: z.string().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof errorSchema>;
