// Shared by the API and the browser (no server-only imports here).
import { z } from 'zod';

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

export const pageQuery = {
  limit: z.coerce
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'expected at least 1')
    .max(MAX_PAGE, `expected at most ${MAX_PAGE}`)
    .default(DEFAULT_PAGE),
  cursor: z.string().max(512).optional().describe('opaque: the next_cursor of the previous page'),
};

export const pageOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), next_cursor: z.string().nullable() }).meta({ id: `${name}Page` });
