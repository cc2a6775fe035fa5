// The registry's own pages, reached from the search box (or a link): one device, one site, one
// deployment, by id in the query string (`/device?id=dev_…`), so the static site needs no page per
// device. Everything on them is live from the data API.
import React, { type ReactNode } from 'react';
import Layout from '@theme/Layout';
import Link from '@docusaurus/Link';
import { useLocation } from '@docusaurus/router';
import useIsBrowser from '@docusaurus/useIsBrowser';
import {
  AlertList,
  DeploymentBoard,
  DeviceCommands,
  DeviceHealth,
  DeviceTable,
  FleetHealth,
  TelemetryChart,
  WorkBoard,
} from '../../widgets/index.ts';
import { ExecutionList } from '../../runbook/index.tsx';
import type { FleetKind } from '../../widgets/shared/FleetLink.tsx';
import { DeviceRead, useDevice } from '../../widgets/shared/useDevice.tsx';
import { DeploymentFacts, DeviceFacts, SiteFacts, useDeployment } from './Facts.tsx';
import { DeploymentRunbooks } from './DeploymentRunbooks.tsx';
import { fleetIdProblem } from './fleetId.ts';

/** The device's charts: the metrics it reports (from its last reading), a day of each. */
function DeviceCharts({ id }: { id: string }): ReactNode {
  const { row } = useDevice(id);
  const metrics = Object.keys(
    (row?.observed_state as { metrics?: Record<string, number> } | undefined)?.metrics ?? {},
  ).sort();
  if (!metrics.length) return null;
  return (
    <>
      <h2>Last 24 hours</h2>
      {metrics.slice(0, 6).map((m) => (
        <TelemetryChart key={m} device={id} metric={m} range="24h" />
      ))}
    </>
  );
}

/**
 * The page's sections: a widget's title is an h3 (WidgetFrame), so each kind opens an h2 under
 * the page's h1 first, or the levels would skip one (axe heading-order).
 */
function Body({ kind, id }: { kind: FleetKind; id: string }): ReactNode {
  switch (kind) {
    case 'device':
      // One read of the device for its facts, health, commands and charts.
      return (
        <DeviceRead id={id}>
          <h2>Registry</h2>
          <DeviceFacts id={id} />
          <h2>Health</h2>
          <DeviceHealth device={id} />
          <h2>Commands</h2>
          <DeviceCommands device={id} />
          <DeviceCharts id={id} />
        </DeviceRead>
      );
    case 'site':
      return (
        <>
          <h2>Registry</h2>
          <SiteFacts id={id} />
          <h2>Devices and deployments</h2>
          <FleetHealth groupBy="product" site={id} title="Devices by product" />
          <DeploymentBoard site={id} title="Deployments" />
          <DeviceTable
            site={id}
            status="down"
            title="Devices down"
            pageSize={10}
            emptyText="No device of this site is down."
          />
          <h2>Open work</h2>
          <AlertList site={id} title="Open alerts" pageSize={10} />
          <ExecutionList siteId={id} state="in_progress,blocked" title="Runbooks in progress" limit={10} />
          <WorkBoard site={id} title="Tickets and tasks" />
        </>
      );
    case 'deployment':
      return <DeploymentSections id={id} />;
  }
}

/** A deployment's page: its facts and runbooks come from one read of it. */
function DeploymentSections({ id }: { id: string }): ReactNode {
  const deployment = useDeployment(id);
  return (
    <>
      <h2>Registry</h2>
      <DeploymentFacts id={id} deployment={deployment} />
      {deployment.row && (
        <>
          <h2>Runbooks</h2>
          <DeploymentRunbooks deployment={deployment.row} />
        </>
      )}
      <h2>In this deployment</h2>
      <DeviceTable
        deployment={id}
        title="Devices"
        pageSize={20}
        columns={['name', 'status', 'last_seen', 'firmware', 'site']}
      />
      <ExecutionList deploymentId={id} title="Runbook executions" />
      <WorkBoard deployment={id} title="Tickets and tasks" />
    </>
  );
}

export function FleetPage({ kind }: { kind: FleetKind }): ReactNode {
  const isBrowser = useIsBrowser();
  const { search } = useLocation();
  const id = isBrowser ? new URLSearchParams(search).get('id') : null;
  const problem = id ? fleetIdProblem(kind, id) : null;
  return (
    <Layout title={id ? `${kind} ${id}` : kind} description={`A ${kind} of the fleet, live from the data API`}>
      <main className="container margin-vert--lg">
        <h1>
          {kind} {id && <code>{id}</code>}
        </h1>
        {!isBrowser ? (
          <p>This page shows live data in the browser.</p>
        ) : !id ? (
          <p>
            No {kind} named: open this page from the search box, or as <code>/{kind}?id=…</code>. The{' '}
            <Link to="/docs/dashboards">dashboards</Link> list the fleet.
          </p>
        ) : problem ? (
          // No widget: each would ask the API with an id it can only refuse.
          <p data-testid="fleet-page-bad-id">
            {problem} Open this page from the search box, or from a link on another page.
          </p>
        ) : (
          <Body kind={kind} id={id} />
        )}
      </main>
    </Layout>
  );
}
