// `/docs/projects/<project>/runs/archive/<YYYY-MM>`: a folded month, one row a run (each opens on
// the run route, drawn from the API; its MDX is in git, in the commit shown). One shell for every
// month; the rows are `<YYYY-MM>.json` beside the URL (plugins/run-pages writes them).
import React, { useEffect, useState, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import Link from '@docusaurus/Link';
import { useLocation } from '@docusaurus/router';
import Layout from '@theme/Layout';
import type { MonthRuns } from '../../../plugins/run-pages/index.ts';
import { RunRows } from './RunRows.tsx';

const MONTH_URL = /^\/docs\/projects\/([a-z0-9][a-z0-9-]{0,63})\/runs\/archive\/(\d{4}-\d{2})\/?$/;

function Month({ url, project }: { url: string; project: string }): ReactNode {
  const [month, setMonth] = useState<{ data: MonthRuns } | { error: string } | null>(null);
  useEffect(() => {
    let stop = false;
    fetch(`${url}.json`)
      .then(async (res) => {
        if (!res.ok) throw new Error(`this build has no runs for that month (${res.status})`);
        const data = (await res.json()) as MonthRuns;
        if (!stop) setMonth({ data });
      })
      .catch((err: Error) => !stop && setMonth({ error: err.message }));
    return () => {
      stop = true;
    };
  }, [url]);
  if (month === null)
    return (
      <p data-testid="run-month" data-state="loading">
        Loading the month…
      </p>
    );
  if ('error' in month) {
    return (
      <p data-testid="run-month" data-state="missing">
        {month.error}: <Link to={`/docs/projects/${project}/runs`}>all runs of {project}</Link>.
      </p>
    );
  }
  const runs = month.data.runs;
  return (
    <div data-testid="run-month" data-state="ready">
      <p>
        {runs.length} run{runs.length === 1 ? '' : 's'}, folded into this page after {month.data.month} was more than
        the fold age old. Each run opens from the data API; its full page (MDX) is in git, in the commit shown.{' '}
        <Link to={`/docs/projects/${project}/runs`}>All runs of {project}</Link>.
      </p>
      <RunRows rows={runs} commits />
    </div>
  );
}

export default function RunMonth(): ReactNode {
  const { pathname } = useLocation();
  const m = MONTH_URL.exec(pathname);
  const title = m ? `Runs of ${m[1]}, ${m[2]}` : 'Runs';
  return (
    <Layout title={title} description="The automation runs of a project in one month">
      <main className="container margin-vert--lg">
        <article className="markdown">
          <h1>{m ? title : 'Month not found'}</h1>
          {m && (
            <BrowserOnly
              fallback={
                <p data-testid="run-month" data-state="placeholder">
                  Loading the month…
                </p>
              }
            >
              {() => <Month url={pathname.replace(/\/+$/, '')} project={m[1]!} />}
            </BrowserOnly>
          )}
        </article>
      </main>
    </Layout>
  );
}
