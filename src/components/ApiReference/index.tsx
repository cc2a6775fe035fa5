import React, { useMemo, useState, type ReactNode } from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import {
  openApiDocumentSchema,
  openApiOperationSchema,
  type OpenApiOperation as Operation,
} from '../../../data-api/src/contracts/openapi.ts';
import { useResource } from '../../data/useResource.ts';
import styles from './styles.module.css';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * The API reference, read live from the running API's OpenAPI document (generated from
 * the same zod schemas that validate requests), so it never drifts from the code.
 */
export function ApiReference(): ReactNode {
  const isBrowser = useIsBrowser();
  const doc = useResource(isBrowser ? '/openapi.json' : null, openApiDocumentSchema);
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => {
    if (!doc.data) return [];
    const byTag = new Map<string, Array<{ method: string; path: string; op: Operation }>>();
    for (const [path, ops] of Object.entries(doc.data.paths)) {
      for (const method of METHODS) {
        const parsed = openApiOperationSchema.safeParse(ops[method]);
        if (!parsed.success) continue;
        const op = parsed.data;
        const text = `${method} ${path} ${op.summary ?? ''}`.toLowerCase();
        if (filter && !text.includes(filter.toLowerCase())) continue;
        const tag = op.tags?.[0] ?? 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag)!.push({ method, path, op });
      }
    }
    return [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [doc.data, filter]);

  if (!isBrowser || doc.status === 'loading')
    return (
      <div data-testid="api-reference" data-state="loading">
        ApiReference: reading the OpenAPI document…
      </div>
    );
  if (doc.status === 'error') {
    return (
      <div data-testid="api-reference" data-state="unreachable" className={styles.note}>
        The data API is not reachable from this page ({doc.error.message}). Start fleetbook (<code>npm start</code>) and
        reload, or read <code>/api/v1/openapi.json</code> from a running API.
      </div>
    );
  }
  return (
    <div data-testid="api-reference" data-state="ready">
      <p>
        <strong>{doc.data.info.title}</strong> {doc.data.info.version} — {Object.keys(doc.data.paths).length} paths. Raw
        document: <a href="/api/v1/openapi.json">openapi.json</a>.
      </p>
      <input
        className={styles.filter}
        placeholder="Filter: method, path or summary"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        aria-label="Filter endpoints"
      />
      {groups.map(([tag, ops]) => (
        <section key={tag}>
          <h3 className={styles.tag}>{tag}</h3>
          {ops.map(({ method, path, op }) => (
            <details key={`${method} ${path}`} className={styles.op} data-testid={`api-op-${method}-${path}`}>
              <summary>
                <span className={`${styles.method} ${styles[method]}`}>{method.toUpperCase()}</span> <code>{path}</code>{' '}
                <span className={styles.summary}>{op.summary}</span>
              </summary>
              {op.description && <p className={styles.description}>{op.description}</p>}
              {op.parameters && op.parameters.length > 0 && (
                <table>
                  <thead>
                    <tr>
                      <th>parameter</th>
                      <th>in</th>
                      <th>schema</th>
                    </tr>
                  </thead>
                  <tbody>
                    {op.parameters.map((p) => (
                      <tr key={`${p.in}.${p.name}`}>
                        <td>
                          <code>{p.name}</code>
                          {p.required ? ' *' : ''}
                        </td>
                        <td>{p.in}</td>
                        <td>
                          <code>{JSON.stringify(p.schema)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {op.requestBody && (
                <SchemaBlock title="Request body" schema={op.requestBody.content?.['application/json']?.schema} />
              )}
              {Object.entries(op.responses ?? {}).map(([status, r]) => (
                <SchemaBlock
                  key={status}
                  title={`Response ${status}`}
                  schema={r.content?.['application/json']?.schema}
                />
              ))}
            </details>
          ))}
        </section>
      ))}
    </div>
  );
}

function SchemaBlock({ title, schema }: { title: string; schema: unknown }): ReactNode {
  if (schema === undefined) return null;
  return (
    <div>
      <strong>{title}</strong>
      <pre className={styles.schema}>{JSON.stringify(schema, null, 2)}</pre>
    </div>
  );
}

export default ApiReference;
