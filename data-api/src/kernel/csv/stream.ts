import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MAX_PAGE } from '../../contracts/pagination.ts';
import { wantsCsv } from './negotiate.ts';
import { csvLine, valueAt } from './write.ts';

export interface CsvExport {
  /** File name stem: `devices` → `devices-20260101T1200Z.csv`. */
  name: string;
  columns: string[];
  rows: AsyncIterable<unknown>;
}

/**
 * Streams a CSV answer: the header row at once, then rows as they are read (backpressure from
 * the socket reaches the database reads: one page in memory at a time).
 */
export function sendCsv(reply: FastifyReply, csv: CsvExport): FastifyReply {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '');
  async function* lines() {
    yield csvLine(csv.columns);
    for await (const row of csv.rows) yield csvLine(csv.columns.map((c) => valueAt(row, c)));
  }
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csv.name}-${stamp}Z.csv"`)
    .send(Readable.from(lines()));
}

/** Every row of a keyset-paginated list, page after page: the export has no cursor. */
export async function* allPages<T>(
  page: (limit: number, cursor: string | undefined) => Promise<{ items: T[]; next_cursor: string | null }>,
): AsyncIterable<T> {
  let cursor: string | undefined;
  do {
    const result = await page(MAX_PAGE, cursor);
    yield* result.items;
    cursor = result.next_cursor ?? undefined;
  } while (cursor);
}

/**
 * The answer of a list route that also speaks CSV: the CSV export when asked for by `Accept`,
 * the JSON page otherwise. Either way `Vary: Accept`, so caches keep them apart.
 */
export async function jsonOrCsv<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  json: () => Promise<T>,
  csv: () => CsvExport,
): Promise<T | FastifyReply> {
  reply.header('vary', 'Accept');
  return wantsCsv(request) ? sendCsv(reply, csv()) : json();
}

/**
 * The answer of a keyset-paginated list route that also speaks CSV: the page `query` asks for,
 * or (by `Accept`) every page, read with the same filters, as the export named `csv.name`.
 */
export function pageOrCsv<Q extends object, P extends { items: unknown[]; next_cursor: string | null }>(
  request: FastifyRequest,
  reply: FastifyReply,
  query: Q,
  list: (query: Q) => Promise<P>,
  csv: { name: string; columns: string[] },
): Promise<P | FastifyReply> {
  return jsonOrCsv(
    request,
    reply,
    () => list(query),
    () => ({ ...csv, rows: allPages((limit, cursor) => list({ ...query, limit, cursor })) }),
  );
}
