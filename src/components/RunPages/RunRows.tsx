import React, { type ReactNode } from 'react';
import type { RunRow } from '../../../plugins/run-pages/index.ts';

const STATES = new Set(['succeeded', 'failed', 'skipped', 'queued', 'running']);

/** Runs as table rows: start, run (a link to its page or run route), state, duration, deployment, product or commit. */
export function RunRows({ rows, commits = false }: { rows: RunRow[]; commits?: boolean }): ReactNode {
  return (
    <table>
      <thead>
        <tr>
          <th>{commits ? 'started (UTC)' : 'date (UTC)'}</th>
          <th>run</th>
          <th>state</th>
          <th>duration</th>
          <th>deployment</th>
          <th>{commits ? 'commit' : 'product'}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.run_id}>
            <td>{r.started.slice(0, 16).replace('T', ' ')}</td>
            <td>
              <a href={r.href}>{r.run_id}</a>
            </td>
            <td>
              {STATES.has(r.state) && <span className={`fb-state fb-state--${r.state}`} aria-hidden="true" />} {r.state}
            </td>
            <td>{r.duration_s !== null ? `${r.duration_s.toFixed(1)} s` : ''}</td>
            <td>{r.deployment_id}</td>
            <td>
              {commits ? (
                r.commit ? (
                  r.commit.href ? (
                    <a href={r.commit.href}>{r.commit.sha.slice(0, 10)}</a>
                  ) : (
                    <code>{r.commit.sha.slice(0, 10)}</code>
                  )
                ) : (
                  ''
                )
              ) : (
                r.product
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
