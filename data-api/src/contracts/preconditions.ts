// Conditional writes (RFC 9110 §13): a registry record's ETag is its updated_at, quoted; a PATCH,
// DELETE or PUT desired-state with If-Match applies only while the record is still that version.
// Shared by the API and the browser, so a page computes the ETag of the copy it shows instead of
// re-reading headers.
import * as z from 'zod';

/** The record's version as an entity tag: every write sets updated_at, so it changes with every edit. */
export const etagOf = (record: { updated_at: string }): string => `"${record.updated_at}"`;

const ENTITY_TAG = String.raw`(?:W\/)?"[\x21\x23-\x7e]*"`;
// OWS is spaces and tabs only (RFC 9110 §5.6.3): `\s` would admit characters no header may carry.
const IF_MATCH = new RegExp(String.raw`^[ \t]*(?:\*|${ENTITY_TAG}(?:[ \t]*,[ \t]*${ENTITY_TAG})*)[ \t]*$`);

/** The request headers of a conditional write (other headers pass through untouched). */
export const ifMatchHeaders = z.looseObject({
  'if-match': z
    .string()
    .regex(IF_MATCH, 'expected an entity tag from the ETag header, like "2026-05-01T09:30:00.000Z", or *')
    .optional()
    .describe(
      'the ETag of the copy the change was made on: when the record has changed since (another ETag), the write is refused with 412 and nothing changes; * matches any version. Without it the write applies to whatever is current',
    ),
});

/**
 * Whether an If-Match value lets a write go ahead on a record whose ETag is `current`: `*`, or one
 * of its tags equal (strong comparison: a weak `W/"…"` tag never matches).
 */
export function ifMatchAllows(header: string, current: string): boolean {
  const tags = header.split(',').map((t) => t.trim());
  return tags.includes('*') || tags.includes(current);
}
