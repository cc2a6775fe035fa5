// Shared by the API and the browser (no server-only imports here).
import * as z from 'zod';

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

const pages = new WeakMap<z.ZodType, z.ZodType>();

/**
 * A page of `item`s (`{ items, next_cursor }`), registered as the `<Name>Page` component ('inventory item' →
 * InventoryItemPage). One instance per item schema, so the route and the browser that parses its answer share it.
 */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  const make = () =>
    z.object({ items: z.array(item), next_cursor: z.string().nullable() }).meta({ id: `${componentName(name)}Page` });
  const page = (pages.get(item) as ReturnType<typeof make> | undefined) ?? make();
  pages.set(item, page);
  return page;
}

// OpenAPI component names allow [A-Za-z0-9._-] only.
const componentName = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

/** A whole list (`{ items }`, no paging): for the short lists a route answers in one go. */
export function itemsOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) });
}
