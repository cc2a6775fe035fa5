import React, { type ReactNode } from 'react';
import type { Identity } from '../../../data-api/src/contracts/auth.ts';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';

/** Filter values: any site / any owner, and items nobody owns. */
export const ANY = '';
export const UNOWNED = '(unassigned)';

export interface BoardToolbarProps {
  who: Identity | null;
  /** The sites and owners on the board, for the menus. */
  sites: string[];
  owners: string[];
  me: string | undefined;
  /** A board fixed to a site or deployment has no site menu; one fixed to an owner has no owner menu. */
  siteMenu: boolean;
  ownerMenu: boolean;
  siteFilter: string;
  setSiteFilter: (site: string) => void;
  ownerFilter: string;
  setOwnerFilter: (owner: string) => void;
}

/** Who is looking, and the site and owner menus that narrow the board. */
export function BoardToolbar(p: BoardToolbarProps): ReactNode {
  const { who, sites, owners, me } = p;
  return (
    <>
      {who && who.kind !== 'anonymous' && (
        <span className={s.muted} data-testid="work-board-who">
          as {who.name} ({who.role})
        </span>
      )}
      {p.siteMenu && sites.length > 0 && (
        <label className={s.muted}>
          site{' '}
          <select
            className={s.select}
            value={p.siteFilter}
            onChange={(e) => p.setSiteFilter(e.target.value)}
            data-testid="work-board-site"
          >
            <option value={ANY}>all</option>
            {sites.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
      )}
      {p.ownerMenu && (
        <label className={s.muted}>
          owner{' '}
          <select
            className={s.select}
            value={p.ownerFilter}
            onChange={(e) => p.setOwnerFilter(e.target.value)}
            data-testid="work-board-owner"
          >
            <option value={ANY}>anyone</option>
            {me && owners.includes(me) && <option value={me}>me ({me})</option>}
            <option value={UNOWNED}>unassigned</option>
            {owners
              .filter((o) => o !== me)
              .map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
          </select>
        </label>
      )}
    </>
  );
}
