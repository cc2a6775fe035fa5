// A client route for run pages the current build does not hold yet (issue 16: "run pages live
// at once"). `/docs/projects/<project>/runs/<run_id>` renders the run from the API with the
// same components as the rest of the site (RunTimeline, the mermaid step tree). The build
// writes the route's shell once, as `docs/projects/:project/runs/:run.html`; fleetbook's site
// server answers that shell for any such URL without a static page, and redirects to the
// static page (`…/runs/<YYYY-MM-DD>/<run_id>`) once a build holds it.
import type { LoadContext, Plugin } from '@docusaurus/types';

export const LIVE_RUN_ROUTE = '/docs/projects/:project/runs/:run';
/** Where the shell lands in the build (Docusaurus writes the route path as a file name). */
export const LIVE_RUN_SHELL = 'docs/projects/:project/runs/:run.html';

export default function liveRunRoute(_context: LoadContext): Plugin {
  return {
    name: 'fleetbook-live-run-route',
    async contentLoaded({ actions }) {
      // A route without nested routes sorts before the docs plugin's, so it wins for its shape only.
      actions.addRoute({ path: LIVE_RUN_ROUTE, component: '@site/src/components/LiveRunPage/index.tsx', exact: true });
    },
  };
}
