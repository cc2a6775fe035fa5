// A widget filtered by a `site` prop reads that site (`GET /sites/:id`) as well: a list filtered
// by a site the API does not have (a typo in the page's props) or one this page's token may not
// see answers an empty list, which reads like a quiet site. The API's 404 for the site is what
// the widget shows instead (`refusedRead`, then `refusalText` in the frame).
import { siteSchema } from '../../../data-api/src/contracts/registry.ts';
import { ApiRequestError } from '../../data/client.ts';
import { useLiveResource } from '../../data/useLive.ts';

export function useSiteRead(site: string | undefined) {
  return useLiveResource(site ? `/sites/${encodeURIComponent(site)}` : null, siteSchema);
}

/** The read the frame should tell of: `check` when the API refused it (4xx), else `main`. */
export function refusedRead<M, C extends { status: string; error: Error | null }>(main: M, check: C): M | C {
  return check.status === 'error' && check.error instanceof ApiRequestError && check.error.status < 500 ? check : main;
}
