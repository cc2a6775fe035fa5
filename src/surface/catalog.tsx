// The fleetbook A2UI catalog: the basic catalog plus data components whose props bind to
// the data model by JSON Pointer (widgets.md). Client-only: loaded inside BrowserOnly.
//
// The official renderer is built on zod 3; `zod/v3` (shipped inside our zod 4) gives the
// same schema classes, which the renderer inspects structurally (`_def.typeName`).
import React, { createContext, useContext, type ReactNode } from 'react';
import { z } from 'zod/v3';
import {
  Catalog,
  DynamicNumberSchema,
  DynamicStringSchema,
  DynamicValueSchema,
  type ComponentApi,
} from '@a2ui/web_core/v0_9';
import { basicCatalog, createComponentImplementation, type ReactComponentImplementation } from '@a2ui/react/v0_9';
import { FLEETBOOK_CATALOG_ID } from '../../data-api/src/contracts/surfaces.ts';
import { StatusBadge, frameStyles as s, scrollRegion, titleText } from '../widgets/shared/WidgetFrame.tsx';
import { RelativeTime, TextWithTimes } from '../widgets/shared/Time.tsx';

/** Whether the page's caller may take operator actions (the API checks again on every action). */
export const SurfaceRoleContext = createContext<{ canOperate: boolean }>({ canOperate: false });

/** A small, safe Markdown renderer for basic-catalog Text: HTML is escaped, then **bold**, *em*, `code` and paragraphs. */
export async function renderMarkdown(text: string): Promise<string> {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return esc
    .split(/\n{2,}/)
    .map(
      (para) =>
        `<p>${para
          .replace(/`([^`]+)`/g, '<code>$1</code>')
          .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
          .replace(/\*([^*]+)\*/g, '<em>$1</em>')}</p>`,
    )
    .join('');
}

const common = { weight: z.number().optional() };
const api = <T extends z.ZodRawShape>(name: string, shape: T) =>
  ({ name, schema: z.object({ ...common, ...shape }).strict() }) as unknown as ComponentApi;

type Props = Record<string, any>;
const impl = (
  a: ComponentApi,
  render: (p: { props: Props; dispatch(name: string, context: Record<string, unknown>): void }) => ReactNode,
): ReactComponentImplementation =>
  createComponentImplementation(a as any, ({ props, context }: any) =>
    render({ props, dispatch: (name, ctx) => void context.dispatchAction({ event: { name, context: ctx } }) }),
  );

const StatApi = api('Stat', {
  label: DynamicStringSchema as any,
  value: DynamicValueSchema as any,
  tone: z.enum(['neutral', 'good', 'bad', 'warn']).optional(),
  hint: (DynamicStringSchema as any).optional(),
});
const HealthBadgeApi = api('HealthBadge', {
  status: DynamicStringSchema as any,
  label: (DynamicStringSchema as any).optional(),
});
const DeviceTableApi = api('DeviceTable', {
  rows: DynamicValueSchema as any,
  title: (DynamicStringSchema as any).optional(),
});
const AlertListApi = api('AlertList', { alerts: DynamicValueSchema as any, canAct: z.boolean().optional() });
const TelemetryChartApi = api('TelemetryChart', {
  points: DynamicValueSchema as any,
  metric: DynamicStringSchema as any,
});
const RunTimelineApi = api('RunTimeline', { entries: DynamicValueSchema as any });

// Text colours that keep 4.5:1 in both themes (src/css/custom.css).
const TONE: Record<string, string> = {
  good: 'var(--fleetbook-text-success)',
  bad: 'var(--fleetbook-text-danger)',
  warn: 'var(--fleetbook-text-warning)',
};

const Stat = impl(StatApi, ({ props }) => (
  <div
    className={s.stat}
    data-testid="surface-stat"
    data-label={String(props.label ?? '')}
    data-value={String(props.value ?? '')}
  >
    <div className={s.statValue} style={props.tone && TONE[props.tone] ? { color: TONE[props.tone] } : undefined}>
      {typeof props.value === 'number' ? props.value.toLocaleString() : String(props.value ?? '—')}
    </div>
    <div className={s.statLabel}>{String(props.label ?? '')}</div>
    {props.hint && (
      <div className={s.muted} style={{ fontSize: '0.75rem' }}>
        {String(props.hint)}
      </div>
    )}
  </div>
));

const HealthBadge = impl(HealthBadgeApi, ({ props }) => (
  <span data-testid="surface-health-badge">
    <StatusBadge status={String(props.status ?? 'unknown')} /> {props.label ? String(props.label) : null}
  </span>
));

const DeviceTable = impl(DeviceTableApi, ({ props }) => {
  const rows = Array.isArray(props.rows) ? (props.rows as Array<Record<string, any>>) : [];
  if (rows.length === 0) return <p className={s.note}>No devices.</p>;
  return (
    <div className={s.tableWrap} {...scrollRegion(titleText(props.title, 'Devices'))}>
      <table className={s.table} data-testid="surface-device-table">
        <thead>
          <tr>
            <th>Device</th>
            <th>Status</th>
            <th>Last seen</th>
            <th className={s.optional}>Firmware</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={String(d.id)} data-testid={`surface-device-${d.id}`} data-status={d.status}>
              <td>{String(d.name ?? d.id)}</td>
              <td>
                <StatusBadge status={String(d.status)} />
              </td>
              <td>
                <RelativeTime iso={d.last_seen ?? null} />
              </td>
              <td className={s.optional}>{String(d.firmware ?? '—')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
});

const AlertList = impl(AlertListApi, ({ props, dispatch }) => {
  const { canOperate } = useContext(SurfaceRoleContext);
  const alerts = Array.isArray(props.alerts) ? (props.alerts as Array<Record<string, any>>) : [];
  if (alerts.length === 0)
    return (
      <p className={s.note} data-testid="surface-alerts-empty">
        No open alerts.
      </p>
    );
  return (
    <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} data-testid="surface-alert-list">
      {alerts.map((a) => (
        <li
          key={String(a.id)}
          style={{ marginBottom: '0.4rem' }}
          data-testid={`surface-alert-${a.id}`}
          data-state={a.state}
        >
          <StatusBadge status={String(a.severity)} /> <TextWithTimes text={String(a.title)} />{' '}
          <span className={s.muted}>
            · {String(a.state)} · <RelativeTime iso={a.opened_at ?? null} />
          </span>
          {props.canAct && canOperate && a.state === 'open' && (
            <button
              type="button"
              className={s.button}
              style={{ marginLeft: '0.5rem' }}
              onClick={() => dispatch('acknowledge_alert', { alert_id: a.id })}
            >
              Acknowledge
            </button>
          )}
        </li>
      ))}
    </ul>
  );
});

const TelemetryChart = impl(TelemetryChartApi, ({ props }) => {
  // A sparkline: the full chart (recharts) is the TelemetryChart widget.
  const pts = (Array.isArray(props.points) ? props.points : []).filter((p: any) => typeof p?.v === 'number') as Array<{
    t: number;
    v: number;
  }>;
  if (pts.length < 2) return <p className={s.note}>Not enough {String(props.metric ?? '')} data yet.</p>;
  const min = Math.min(...pts.map((p) => p.v));
  const max = Math.max(...pts.map((p) => p.v));
  const path = pts
    .map(
      (p, i) =>
        `${i ? 'L' : 'M'}${((i / (pts.length - 1)) * 300).toFixed(1)},${(60 - ((p.v - min) / (max - min || 1)) * 56 - 2).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg viewBox="0 0 300 60" width="100%" height="60" role="img" aria-label={`${props.metric} trend`}>
      <path d={path} fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
});

const RunTimeline = impl(RunTimelineApi, ({ props }) => {
  const entries = Array.isArray(props.entries) ? (props.entries as Array<Record<string, any>>) : [];
  if (entries.length === 0) return <p className={s.note}>No automation runs.</p>;
  return (
    <ol style={{ margin: 0, paddingLeft: '1.2rem' }}>
      {entries.map((e, i) => (
        <li key={i}>
          <StatusBadge status={String(e.state)} /> {String(e.action_id ?? e.id ?? 'run')}{' '}
          <span className={s.muted}>{String(e.message ?? '')}</span>
        </li>
      ))}
    </ol>
  );
});

export const fleetbookComponents = [Stat, HealthBadge, DeviceTable, AlertList, TelemetryChart, RunTimeline];

/** One catalog object per page is enough: catalogs hold no surface state. */
export const fleetbookCatalog = new Catalog<ReactComponentImplementation>(
  FLEETBOOK_CATALOG_ID,
  [...basicCatalog.components.values(), ...fleetbookComponents],
  [...basicCatalog.functions.values()],
);
