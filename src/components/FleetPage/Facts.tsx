// What the registry says about one site, deployment or device, at the top of its page: the facts
// a person at a site looks for first (where it is, its LAN notes, what it runs, what it belongs
// to), each related entity a link to its own page. Live: an edit shows without a reload.
import React, { useState, type ReactNode } from 'react';
import type { z } from 'zod';
import {
  customerSchema,
  deploymentSchema,
  siteSchema,
  type Deployment,
  type Device,
} from '../../../data-api/src/contracts/registry.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { canEditRegistry, useWhoami } from '../../data/useWhoami.ts';
import { FleetLink, ProductLink, type FleetKind } from '../../widgets/shared/FleetLink.tsx';
import { StatusBadge, WidgetFrame } from '../../widgets/shared/WidgetFrame.tsx';
import { useDevice } from '../../widgets/shared/useDevice.tsx';
import { useNow } from '../../widgets/shared/useNow.ts';
import { SiteEdit } from './SiteEdit.tsx';
import styles from './styles.module.css';

type Fact = [label: string, value: ReactNode];

const none = <span className={styles.none}>not set</span>;

function FactList({ facts, testId }: { facts: Fact[]; testId: string }): ReactNode {
  return (
    <dl className={styles.facts} data-testid={testId}>
      {facts.map(([label, value]) => (
        <div key={label} className={styles.fact}>
          <dt>{label}</dt>
          <dd data-fact={label}>{value === null || value === undefined || value === '' ? none : value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** One registry row, live: read once, then kept current by its family's change events. */
export function useEntity<S extends z.ZodType<{ id: string }>>(
  kind: FleetKind | 'customer',
  id: string | null,
  schema: S,
) {
  const res = useLiveResource(id ? `/${kind}s/${encodeURIComponent(id)}` : null, schema, {
    topics: kind === 'customer' ? undefined : [kind],
    seed: (row) => ({ type: kind, rows: [row] }),
    missingIsUnavailable: true,
  });
  const [row] = useLiveRows<z.output<S> & { id: string }>(kind, res.data ? [res.data] : null);
  return { res, row };
}

/** A related site or deployment: its name, a link to its page, then its id in small type. */
export const entityFact = (kind: FleetKind, id: string, name: string | undefined): ReactNode => (
  <>
    <FleetLink kind={kind} id={id}>
      {name ?? id}
    </FleetLink>
    {name && <span className={styles.id}> {id}</span>}
  </>
);

/** The product's catalog page, with the version. */
const productFact = (code: string, version: string | null): ReactNode => (
  <>
    <ProductLink code={code} />
    {version ? ` ${version}` : ''}
  </>
);

function Frame({
  kind,
  id,
  res,
  children,
}: {
  kind: FleetKind;
  id: string;
  res: ReturnType<typeof useEntity>['res'];
  children: ReactNode;
}): ReactNode {
  return (
    <WidgetFrame
      name={`${kind} facts`}
      testId={`${kind}-facts`}
      state={res}
      connection={res.connection}
      // An id the API does not have, or one this page's token may not see (404 for both): the
      // shared refusal words, as every widget says it (refusal.ts), not "the registry has none".
      refused={{ lead: `No facts for ${kind} ${id}`, byId: true }}
    >
      {children}
    </WidgetFrame>
  );
}

export function SiteFacts({ id }: { id: string }): ReactNode {
  const { res, row: site } = useEntity('site', id, siteSchema);
  const customer = useEntity('customer', site?.customer_id ?? null, customerSchema).row;
  // Registry writes are an admin's (the API checks again); a viewer or operator sees no Edit.
  const mayEdit = canEditRegistry(useWhoami().data?.role);
  const [editing, setEditing] = useState(false);
  return (
    <Frame kind="site" id={id} res={res}>
      {site && (
        <FactList
          testId="site-facts-list"
          facts={[
            ['Name', site.name],
            ['Customer', customer?.name ?? site.customer_id],
            ['Time zone', <LocalTime key="tz" timezone={site.timezone} />],
            [
              'Location',
              site.location && (
                <a
                  href={`https://www.openstreetmap.org/?mlat=${site.location.lat}&mlon=${site.location.lon}#map=16/${site.location.lat}/${site.location.lon}`}
                  target="_blank"
                  rel="noreferrer noopener"
                >
                  {site.location.lat}, {site.location.lon}
                </a>
              ),
            ],
            ['Radio region', site.region],
            ['Network server', site.network_server && <code>{site.network_server}</code>],
            ['LAN notes', site.lan_notes && <span className={styles.notes}>{site.lan_notes}</span>],
          ]}
        />
      )}
      {site && mayEdit && !editing && (
        <button
          type="button"
          className={styles.primary}
          onClick={() => setEditing(true)}
          aria-label={`Edit site ${site.id}`}
          data-testid="site-edit"
        >
          Edit
        </button>
      )}
      {site && mayEdit && editing && <SiteEdit site={site} onClose={() => setEditing(false)} />}
    </Frame>
  );
}

/** The zone's name and its wall-clock time now (what "call after 8 local" needs), kept current. */
function LocalTime({ timezone }: { timezone: string }): ReactNode {
  const at = useNow(30_000);
  let now = '';
  try {
    now = new Intl.DateTimeFormat(undefined, { timeZone: timezone, hour: '2-digit', minute: '2-digit' }).format(at);
  } catch {
    // An IANA name this browser does not know: the name alone.
  }
  return (
    <>
      {timezone}
      {now && <span className={styles.none}> · {now} there now</span>}
    </>
  );
}

/** The deployment's row, read once for its facts and its runbooks (the page's two sections). */
export const useDeployment = (id: string) => useEntity('deployment', id, deploymentSchema);

export function DeploymentFacts({
  id,
  deployment: { res, row: d },
}: {
  id: string;
  deployment: ReturnType<typeof useDeployment>;
}): ReactNode {
  const site = useEntity('site', d?.site_id ?? null, siteSchema).row;
  return (
    <Frame kind="deployment" id={id} res={res}>
      {d && <FactList testId="deployment-facts-list" facts={deploymentFacts(d, site?.name)} />}
    </Frame>
  );
}

export const deploymentFacts = (d: Deployment, siteName?: string): Fact[] => [
  ['Name', d.name],
  ['State', <StatusBadge key="state" status={d.state} />],
  ['Product', productFact(d.product_code, d.product_version)],
  ['Site', entityFact('site', d.site_id, siteName)],
  ['Planned', d.planned_date],
  ['Started', d.started_date],
];

export function DeviceFacts({ id }: { id: string }): ReactNode {
  const { res, row: d } = useDevice(id);
  const site = useEntity('site', d?.site_id ?? null, siteSchema).row;
  const deployment = useEntity('deployment', d?.deployment_id ?? null, deploymentSchema).row;
  return (
    <Frame kind="device" id={id} res={res}>
      {d && <FactList testId="device-facts-list" facts={deviceFacts(d, site?.name, deployment?.name ?? undefined)} />}
    </Frame>
  );
}

export const deviceFacts = (d: Device, siteName?: string, deploymentName?: string): Fact[] => [
  ['Name', d.name],
  ['Product', productFact(d.product_code, d.product_version)],
  ['Role', d.role],
  ['Serial', d.serial && <code>{d.serial}</code>],
  ['Site', d.site_id ? entityFact('site', d.site_id, siteName) : 'in stock'],
  ['Deployment', d.deployment_id && entityFact('deployment', d.deployment_id, deploymentName)],
];
