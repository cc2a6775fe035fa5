// `/docs/projects/<project>/runs/<YYYY-MM-DD>/<run_id>`: a run page the build holds, drawn from its
// MDX (copied into the build beside this URL by plugins/run-pages), with the site's layout.
import React, { useEffect, useState, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { useLocation } from '@docusaurus/router';
import Layout from '@theme/Layout';
import { RunPageBody } from './RunPageBody.tsx';

const DAY_RUN =
  /^\/docs\/projects\/([a-z0-9][a-z0-9-]{0,63})\/runs\/(\d{4}-\d{2}-\d{2})\/(arun_[A-Za-z0-9._-]{1,64})\/?$/;

function Page({ pageUrl, project, run }: { pageUrl: string; project: string; run: string }): ReactNode {
  const [mdx, setMdx] = useState<{ text: string } | { error: string } | null>(null);
  useEffect(() => {
    let stop = false;
    fetch(`${pageUrl}.mdx`)
      .then(async (res) => {
        if (!res.ok) throw new Error(`the build has no page for this run (${res.status})`);
        const text = await res.text();
        if (!stop) setMdx({ text });
      })
      .catch((err: Error) => !stop && setMdx({ error: err.message }));
    return () => {
      stop = true;
    };
  }, [pageUrl]);
  if (mdx === null)
    return (
      <p data-testid="run-page" data-state="loading">
        Loading the run page…
      </p>
    );
  if ('error' in mdx) {
    return (
      <div data-testid="run-page" data-state="missing">
        <h1>Run {run}</h1>
        <p>
          {mdx.error}. The run route <a href={`/docs/projects/${project}/runs/${run}`}>draws it from the data API</a>.
        </p>
      </div>
    );
  }
  return (
    <div data-testid="run-page" data-state="ready">
      <RunPageBody mdx={mdx.text} pageUrl={pageUrl} />
    </div>
  );
}

export default function RunPage(): ReactNode {
  const { pathname } = useLocation();
  const m = DAY_RUN.exec(pathname);
  const pageUrl = pathname.replace(/\/+$/, '');
  return (
    <Layout title={m ? `Run ${m[3]}` : 'Run'} description="An automation run page">
      <main className="container margin-vert--lg">
        <article>
          <div className="markdown">
            {/* The build holds one shell for every run page, rendered at the route's pattern: only the
                browser knows the address, so "not found" is never said before hydration. */}
            <BrowserOnly
              fallback={
                <p data-testid="run-page" data-state="placeholder">
                  Loading the run page…
                </p>
              }
            >
              {() => (m ? <Page pageUrl={pageUrl} project={m[1]!} run={m[3]!} /> : <h1>Run not found</h1>)}
            </BrowserOnly>
          </div>
        </article>
      </main>
    </Layout>
  );
}
