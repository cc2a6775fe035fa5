import React, { useEffect, useState, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { useLocation } from '@docusaurus/router';
import Layout from '@theme/Layout';
import { automationRunSchema, RUN_PAGE_ROUTE_PATTERN } from '../../../data-api/src/contracts/automation-runs.ts';
import { RunTimeline } from '../../widgets/index.ts';
import { useResource } from '../../data/useResource.ts';

/** The run page's static URL from its repository path (docs/…/runs/<day>/<run>.mdx → /docs/…/runs/<day>/<run>). */
export function staticRunUrl(pagePath: string | null | undefined): string | null {
  const m = /^(?:.*\/)?(docs\/projects\/[^/]+\/runs\/\d{4}-\d{2}-\d{2}\/arun_[^/]+)\.mdx$/.exec(pagePath ?? '');
  return m ? `/${m[1]}` : null;
}

/** Once the run has a page and a build serves it, go there (the static page replaces this one). */
function useStaticPage(runId: string): 'live' | 'moving' {
  const run = useResource(`/automation-runs/${encodeURIComponent(runId)}`, automationRunSchema, 5000);
  const [state, setState] = useState<'live' | 'moving'>('live');
  const url = run.status === 'ready' || run.status === 'stale' ? staticRunUrl(run.data.page_path) : null;
  useEffect(() => {
    if (!url) return undefined;
    let stop = false;
    const probe = async () => {
      const res = await fetch(url, { method: 'HEAD' }).catch(() => null);
      if (!stop && res?.ok) {
        setState('moving');
        window.location.replace(url);
      }
    };
    void probe();
    const timer = setInterval(probe, 10_000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [url]);
  return state;
}

function LiveRun({ project, run }: { project: string; run: string }): ReactNode {
  const state = useStaticPage(run);
  return (
    <div data-testid="live-run-page" data-state={state} data-project={project} data-run={run}>
      <RunTimeline run={run} title={`Run ${run}`} />
      <p className="margin-top--md">
        This page is drawn from the data API: the site has not been built with this run&apos;s page yet. The full page
        (logs, artifacts, configuration snapshot) replaces it after the next build; the{' '}
        <a href={`/docs/projects/${project}/runs`}>runs of {project}</a> list every run.
      </p>
    </div>
  );
}

/** `/docs/projects/<project>/runs/<run_id>`: a run page served live (see plugins/live-run-route). */
export default function LiveRunPage(): ReactNode {
  const { pathname } = useLocation();
  const m = RUN_PAGE_ROUTE_PATTERN.exec(pathname);
  const [project, run] = m ? [m[1]!, m[2]!] : [null, null];
  return (
    <Layout title={run ? `Run ${run}` : 'Run'} description="An automation run, live from the data API">
      <main className="container margin-vert--lg">
        {/* One shell serves every live run, rendered at the route's pattern: the run's name and a
            "not found" come from the browser's address, never from the prerendered page. */}
        <BrowserOnly
          fallback={
            <p data-testid="live-run-page" data-state="placeholder">
              Loading the run from the data API…
            </p>
          }
        >
          {() =>
            run && project ? (
              <>
                <h1>{`Run ${run}`}</h1>
                <LiveRun project={project} run={run} />
              </>
            ) : (
              <>
                <h1>Run not found</h1>
                <p>This address is not a run page: run pages are /docs/projects/&lt;project&gt;/runs/arun_….</p>
              </>
            )
          }
        </BrowserOnly>
      </main>
    </Layout>
  );
}
