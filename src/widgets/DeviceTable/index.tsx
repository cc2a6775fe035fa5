import React, { useEffect, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import type { Device, DeviceSortKey } from '../../../data-api/src/contracts/registry.ts';
import { useNow } from '../shared/useNow.ts';
import { frameStyles as s, Pager, StatusBadge, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { devicesPath } from './filters.ts';
import { useDevicePage } from './useDevicePage.ts';
import { RelativeTime } from '../shared/Time.tsx';
import { CsvButton } from '../shared/CsvButton.tsx';
import { FleetLink } from '../shared/FleetLink.tsx';

export const DEVICE_COLUMNS = [
  'id',
  'name',
  'status',
  'last_seen',
  'firmware',
  'site',
  'deployment',
  'product',
  'role',
  'serial',
] as const;
export type DeviceColumn = (typeof DEVICE_COLUMNS)[number];

const LABEL: Record<DeviceColumn, string> = {
  id: 'Device',
  name: 'Name',
  status: 'Status',
  last_seen: 'Last seen',
  firmware: 'Firmware',
  site: 'Site',
  deployment: 'Deployment',
  product: 'Product',
  role: 'Role',
  serial: 'Serial',
};
/** The API's sort key behind each column header; firmware (a reported value) is not sortable. */
const SORT_KEY: Record<DeviceColumn, DeviceSortKey | null> = {
  id: 'id',
  name: 'name',
  status: 'status',
  last_seen: 'last_seen',
  firmware: null,
  site: 'site_id',
  deployment: 'deployment_id',
  product: 'product_code',
  role: 'role',
  serial: 'serial',
};
/** Hidden on a phone unless asked for. */
const OPTIONAL = new Set<DeviceColumn>(['id', 'firmware', 'site', 'deployment', 'product', 'role', 'serial']);

export interface DeviceTableProps {
  site?: string;
  deployment?: string;
  customer?: string;
  role?: 'gateway' | 'sensor' | 'station' | 'controller';
  status?: 'up' | 'down' | 'unknown';
  /** Product code, e.g. `soil-probe`. */
  product?: string;
  columns?: DeviceColumn[];
  pageSize?: number;
  title?: ReactNode;
  /**
   * What an empty table says when the reader has set no filter of their own: what it holds, e.g.
   * "No device of this site is down." (default: one derived from `status`, or "No devices here yet.").
   */
  emptyText?: string;
}

/**
 * The empty table's text: "matches these filters" only for filters the reader set (the search
 * box, the status picker); filters that are props say what the table holds instead.
 */
export function deviceTableEmptyText(props: DeviceTableProps, reader: { q: string; status: string }): string {
  if (reader.q || (reader.status && reader.status !== props.status)) return 'No device matches these filters.';
  if (props.emptyText) return props.emptyText;
  return props.status ? `No device here is ${props.status}.` : 'No devices here yet.';
}

export const firmwareOf = (d: Device): string => {
  const fw = (d.observed_state as { fw?: unknown })?.fw;
  return typeof fw === 'string' ? fw : (d.product_version ?? '—');
};

function cell(d: Device, col: DeviceColumn, now: number): ReactNode {
  switch (col) {
    case 'id':
      return <code className={s.mono}>{d.id}</code>;
    case 'name':
      return (
        <FleetLink kind="device" id={d.id}>
          <span data-testid={`device-name-${d.id}`}>{d.name ?? <span className={s.muted}>{d.id}</span>}</span>
        </FleetLink>
      );
    case 'status':
      return <StatusBadge status={d.status} />;
    case 'last_seen':
      return <RelativeTime iso={d.last_seen} now={now} />;
    case 'firmware':
      return firmwareOf(d);
    case 'site':
      return d.site_id ? <FleetLink kind="site" id={d.site_id} /> : '—';
    case 'deployment':
      return d.deployment_id ? <FleetLink kind="deployment" id={d.deployment_id} /> : '—';
    case 'product':
      return `${d.product_code}${d.product_version ? ` ${d.product_version}` : ''}`;
    case 'role':
      return d.role;
    case 'serial':
      return d.serial ?? '—';
  }
}

type DeviceSort = { col: DeviceColumn; dir: 1 | -1 } | null;

/** The table: a header per column (a sort button where the API can sort by it), a row per device. */
function DeviceRows({
  columns,
  rows,
  sort,
  onSort,
  now,
  name,
}: {
  columns: DeviceColumn[];
  rows: Device[];
  sort: DeviceSort;
  onSort: (col: DeviceColumn) => void;
  now: number;
  /** The region's name (the widget's title). */
  name: string;
}): ReactNode {
  return (
    <div className={s.tableWrap} {...scrollRegion(name)}>
      <table className={s.table}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c}
                className={clsx(OPTIONAL.has(c) && s.optional)}
                aria-sort={sort?.col === c ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
              >
                {SORT_KEY[c] ? (
                  <button
                    type="button"
                    className={s.sortButton}
                    onClick={() => onSort(c)}
                    data-testid={`device-table-sort-${c}`}
                  >
                    {LABEL[c]}
                    {sort?.col === c ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
                  </button>
                ) : (
                  LABEL[c]
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id} data-testid={`device-row-${d.id}`} data-status={d.status}>
              {columns.map((c) => (
                <td key={c} className={clsx(OPTIONAL.has(c) && s.optional)}>
                  {cell(d, c, now)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Registry devices with live status, last seen and firmware. Filters, sort and paging go to
 * the API (`sort=` with a keyset cursor), so a sorted walk covers the whole fleet, 100k
 * devices as fast as 100, not just the page on screen.
 */
export function DeviceTable(props: DeviceTableProps): ReactNode {
  const columns = props.columns?.length
    ? props.columns
    : (['name', 'status', 'last_seen', 'firmware', 'site', 'product'] as DeviceColumn[]);
  const pageSize = Math.min(Math.max(props.pageSize ?? 25, 1), 500);
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string>(props.status ?? '');
  const [sort, setSort] = useState<DeviceSort>(null);
  const now = useNow();

  useEffect(() => {
    const t = setTimeout(() => setQ(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);

  const sortKey = sort && SORT_KEY[sort.col];
  const apiSort = sort && sortKey ? `${sort.dir === -1 ? '-' : ''}${sortKey}` : undefined;
  const filters = {
    site: props.site,
    deployment: props.deployment,
    customer: props.customer,
    role: props.role,
    product: props.product,
    status: status || undefined,
    q: q || undefined,
    sort: apiSort,
  };
  const { resource, rows, page, hasPrev, hasNext, next, prev } = useDevicePage(filters, pageSize);
  const checked = useSiteRead('DeviceTable', props.site, resource);

  const toggle = (col: DeviceColumn) =>
    setSort((cur) => (cur?.col === col ? (cur.dir === 1 ? { col, dir: -1 } : null) : { col, dir: 1 }));

  const toolbar = (
    <>
      <input
        className={s.input}
        type="search"
        placeholder="Filter: id, name, serial, DevEUI…"
        aria-label="Filter devices"
        value={text}
        onChange={(e) => setText(e.target.value)}
        data-testid="device-table-filter"
      />
      {!props.status && (
        <select
          className={s.select}
          aria-label="Status"
          value={status}
          onChange={(e) => setStatus(e.target.value)}
          data-testid="device-table-status"
        >
          <option value="">any status</option>
          <option value="up">up</option>
          <option value="down">down</option>
          <option value="unknown">unknown</option>
        </select>
      )}
      <CsvButton path={devicesPath(filters, pageSize, undefined)} name="devices" testId="device-table" />
    </>
  );
  const name = titleText(props.title, 'Devices');

  return (
    <WidgetFrame
      name="DeviceTable"
      testId="device-table"
      title={props.title ?? 'Devices'}
      toolbar={toolbar}
      state={checked.state}
      connection={resource.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && resource.status === 'ready' && rows.length === 0}
      emptyText={deviceTableEmptyText(props, { q, status })}
      data={{ rows: rows.length, page, sort: apiSort ?? '' }}
    >
      <DeviceRows columns={columns} rows={rows} sort={sort} onSort={toggle} now={now} name={name} />
      <Pager
        testId="device-table"
        name={name}
        page={page}
        hasPrev={hasPrev}
        hasNext={hasNext}
        onPrev={prev}
        onNext={next}
        label={`page ${page + 1} · ${rows.length} devices`}
      />
    </WidgetFrame>
  );
}

export default DeviceTable;
