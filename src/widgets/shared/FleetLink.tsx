// The registry's own pages (src/pages/{device,site,deployment}.tsx): one static page per kind,
// the entity by id in the query string. Every widget that names a device, site or deployment
// links it here, so a person can go from a row to everything about it.
import React, { type ReactNode } from 'react';
import Link from '@docusaurus/Link';
import styles from './styles.module.css';

export type FleetKind = 'device' | 'site' | 'deployment';

export const fleetHref = (kind: FleetKind, id: string): string => `/${kind}?id=${encodeURIComponent(id)}`;

/** A link to a product's catalog page (docs/products/<code>/index.mdx). */
export function ProductLink({ code, children }: { code: string; children?: ReactNode }): ReactNode {
  return (
    <Link to={`/docs/products/${encodeURIComponent(code)}`} className={styles.fleetLink}>
      {children ?? code}
    </Link>
  );
}

export const isFleetKind = (type: string): type is FleetKind =>
  type === 'device' || type === 'site' || type === 'deployment';

/** A link to the entity's page; its text is `children`, else the id. */
export function FleetLink({ kind, id, children }: { kind: FleetKind; id: string; children?: ReactNode }): ReactNode {
  return (
    <Link to={fleetHref(kind, id)} className={styles.fleetLink} data-testid={`fleet-link-${kind}-${id}`}>
      {children ?? id}
    </Link>
  );
}
