import React, { useMemo, type ReactNode } from 'react';
import type { FleetGroupBy as GroupBy } from '../../../data-api/src/contracts/fleet.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { parseDuration, percent } from '../shared/format.ts';
import { frameStyles as s, WidgetFrame, scrollRegion, titleText } from '../shared/WidgetFrame.tsx';
import { useFleetHealth } from './useFleetHealth.ts';
import { uptimeCsvName, uptimeSchema } from '../../../data-api/src/contracts/uptime.ts';
import { uptimeByGroup } from './uptime.ts';
import { uptimePath } from './query.ts';
import { CsvButton } from '../shared/CsvButton.tsx';
import { FleetLink, ProductLink } from '../shared/FleetLink.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';

export interface FleetHealthProps {
  groupBy?: GroupBy;
  /** Uptime window, e.g. `30d` (from /api/v1/uptime, for the same devices as the counts). */
  window?: string;
  /** Limit to one customer, site or product. */
  customer?: string;
  site?: string;
  product?: string;
  title?: ReactNode;
}

/** A group's name, linked to its page: a site's registry page, a product's catalog page. */
function GroupName({ groupBy, id, name }: { groupBy: GroupBy; id: string; name: string }): ReactNode {
  if (groupBy === 'site')
    return (
      <FleetLink kind="site" id={id}>
        {name}
      </FleetLink>
    );
  return groupBy === 'product' ? <ProductLink code={id}>{name}</ProductLink> : name;
}

/** Up / down / unknown devices per site, product or customer, with uptime over a window. */
export function FleetHealth({
  groupBy = 'site',
  window = '30d',
  customer,
  site,
  product,
  title,
}: FleetHealthProps): ReactNode {
  const fleet = useFleetHealth({ groupBy, customer, site, product });
  const checked = useSiteRead('FleetHealth', site, fleet);
  const windowMs = parseDuration(window) ?? 30 * 86_400_000;
  // Rounded to the minute so the path (and the fetch) is stable between renders.
  const to = Math.floor(Date.now() / 60_000) * 60_000;
  // The same devices as the counts: the filters go to /uptime too (and so to its CSV).
  const uptimeUrl = uptimePath({ groupBy, customer, site, product }, to - windowMs, to);
  const uptime = useLiveResource(uptimeUrl, uptimeSchema, { missingIsUnavailable: true, refreshMs: 300_000 });

  const counts = fleet.data;
  const uptimeBy = useMemo(
    () => (uptime.status === 'ready' ? uptimeByGroup(uptime.data) : null),
    [uptime.status, uptime.data],
  );

  const t = counts?.total;
  return (
    <WidgetFrame
      name="FleetHealth"
      testId="fleet-health"
      title={title ?? `Fleet health by ${groupBy}`}
      toolbar={
        uptime.status === 'ready' ? (
          <CsvButton
            path={uptimeUrl}
            name={uptimeCsvName({ group_by: groupBy, customer_id: customer, site_id: site, product_code: product })}
            testId="fleet-health"
          />
        ) : undefined
      }
      state={checked.state}
      connection={fleet.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && !!counts && counts.total.total === 0}
      emptyText="No devices in the registry for this selection."
      data={
        t
          ? { up: t.up, down: t.down, unknown: t.unknown, total: t.total, 'group-by': groupBy }
          : { 'group-by': groupBy }
      }
    >
      {counts && t && (
        <>
          <div className={s.grid} data-testid="fleet-health-totals">
            {(['up', 'down', 'unknown'] as const).map((k) => (
              <div key={k} className={s.stat} data-testid={`fleet-health-total-${k}`} data-count={t[k]}>
                <div className={s.statValue}>{t[k].toLocaleString()}</div>
                <div className={s.statLabel}>
                  {k} · {t.total ? Math.round((t[k] / t.total) * 100) : 0} %
                </div>
              </div>
            ))}
            <div className={s.stat} data-testid="fleet-health-total-total" data-count={t.total}>
              <div className={s.statValue}>{t.total.toLocaleString()}</div>
              <div className={s.statLabel}>devices</div>
            </div>
          </div>
          <div
            className={s.tableWrap}
            {...scrollRegion(titleText(title, `Fleet health by ${groupBy}`))}
            style={{ marginTop: '0.75rem' }}
          >
            <table className={s.table}>
              <thead>
                <tr>
                  <th>{groupBy}</th>
                  <th>up</th>
                  <th>down</th>
                  <th>unknown</th>
                  <th className={s.optional}>total</th>
                  {uptimeBy && <th>uptime {window}</th>}
                </tr>
              </thead>
              <tbody>
                {counts.groups.map((g) => (
                  <tr
                    key={g.key}
                    data-testid={`fleet-health-row-${g.key}`}
                    data-up={g.up}
                    data-down={g.down}
                    data-unknown={g.unknown}
                  >
                    <td>
                      <GroupName groupBy={groupBy} id={g.key} name={g.name} />
                      <div className={`${s.muted} ${s.mono}`}>{g.key}</div>
                    </td>
                    <td>{g.up}</td>
                    <td style={g.down ? { color: 'var(--fleetbook-text-danger)', fontWeight: 700 } : undefined}>
                      {g.down}
                    </td>
                    <td>{g.unknown}</td>
                    <td className={s.optional}>{g.total}</td>
                    {uptimeBy && (
                      <td data-testid={`fleet-health-uptime-${g.key}`}>
                        {uptimeBy.has(g.key) ? (
                          percent(uptimeBy.get(g.key))
                        ) : (
                          <span className={s.muted} title="no device of this group was monitored in the window">
                            no data
                          </span>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {uptime.status === 'unavailable' && (
            <p className={s.note}>Uptime % appears here once the data API offers /api/v1/uptime.</p>
          )}
        </>
      )}
    </WidgetFrame>
  );
}

export default FleetHealth;
