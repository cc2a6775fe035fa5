import { CompiledQuery, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdent } from './values.ts';

/**
 * COPY … FROM STDIN through kysely, on both dialects. COPY is PostgreSQL's bulk write: no
 * statement to plan, rows read by COPY's own parser and stored in multi-row heap batches — about
 * half the database CPU per row of a jsonb_to_recordset INSERT (docs/operating/workers.mdx).
 *
 * kysely hands a connection only SQL and parameters, so the statement travels as
 * `copy "table" (columns) from stdin` with the data (COPY's text format) as its one parameter;
 * each dialect's connection sends it its own way: pg streams it (pg-copy-streams, copyingPool),
 * PGlite reads it as a blob (pgliteCopy). COPY has no ON CONFLICT: one refused row refuses all.
 *
 * `savepoint` names a savepoint set just before the COPY, in the same message to PostgreSQL (no
 * round trip of its own): in a transaction, `rollback to savepoint` then undoes a refused COPY and
 * nothing else. It needs no release (a commit ends it).
 */
export function copyFromStdin(
  table: string,
  columns: readonly string[],
  data: string,
  options: { savepoint?: string } = {},
): CompiledQuery {
  const savepoint = options.savepoint ? `savepoint ${quoteIdent(options.savepoint)}; ` : '';
  return CompiledQuery.raw(`${savepoint}copy ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) from stdin`, [
    data,
  ]);
}

const COPY_FROM_STDIN = /^(savepoint "[^"]+"; )?copy "[^"]+" \([^)]*\) from stdin$/;

/** A field of COPY's text format: a backslash, tab, newline or carriage return escaped. */
export function copyField(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c]!) : value;
}

/** COPY's text format for NULL. */
export const COPY_NULL = '\\N';

const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** pg's pool as kysely takes it, each client running copyFromStdin's statements as COPY. */
export function copyingPool(pool: Pool): PostgresPool {
  // kysely keys its connections by client object: one wrapper per pg client, always the same.
  const wrapped = new WeakMap<PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) wrapped.set(client, (w = copyingClient(client)));
      return w;
    },
    end: () => pool.end(),
  };
}

function copyingClient(client: PoolClient): PostgresPoolClient {
  return {
    query: ((text: string, values: unknown[]) =>
      COPY_FROM_STDIN.test(text)
        ? copyIn(client, text, values[0] as string)
        : client.query(text, values)) as unknown as PostgresPoolClient['query'],
    release: (err?: Error | boolean) => client.release(err),
  };
}

async function copyIn(client: PoolClient, text: string, data: string) {
  const stream = client.query(copyFrom(text));
  await new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(data);
  });
  return { command: 'COPY', rowCount: stream.rowCount, rows: [] };
}

/**
 * What PGlite runs for one of copyFromStdin's statements: the savepoint (if any) on its own (one
 * statement a query there), then the COPY with its data as a blob.
 */
export function pgliteCopy(
  sql: string,
  parameters: readonly unknown[],
): { savepoint: string | null; sql: string; blob: Blob } | null {
  const match = COPY_FROM_STDIN.exec(sql);
  if (!match) return null;
  return {
    savepoint: match[1]?.slice(0, -2) ?? null,
    sql: sql.slice(match[1]?.length ?? 0).replace(/ from stdin$/, " from '/dev/blob'"),
    blob: new Blob([parameters[0] as string]),
  };
}
