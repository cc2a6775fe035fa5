// A widget filtered by a `site` prop reads that site (`GET /sites/:id`) as well: a list filtered
// by a site the API does not have (a typo in the page's props) or one this page's token may not
// see answers an empty list (or empty figures), which reads like a quiet site. The API's refusal
// of the site (4xx) is what the widget shows instead, in the shared words (`refusalText` in the
// frame). One hook does the whole job for every such widget: DeploymentBoard, DeviceTable,
// FirmwareDrift, AlertStats, WorkBoard, FleetHealth, AlertList and Surface (its `site`, as the
// shorthand or in `params`).
import { siteSchema } from '../../../data-api/src/contracts/registry.ts';
import { ApiRequestError } from '../../data/client.ts';
import { useLiveResource } from '../../data/useLive.ts';
import type { RefusalContext } from './refusal.ts';

interface Read {
  status: string;
  error: Error | null;
}

export interface SiteChecked<M, C> {
  /** The frame's `state`: the site's read when the API refused it (4xx), else the widget's own. */
  state: M | C;
  /** The frame's `refused`: `<name> for site <site>`; a 404 of the site notes "or not yours". */
  refused: RefusalContext | undefined;
  /** The API refused the site: the widget's own data (an empty list) is not to be drawn. */
  siteRefused: boolean;
}

/** Reads `site` (none without one) and tells the frame which read to speak of and how. */
export function useSiteRead<M extends Read>(name: string, site: string | undefined, main: M) {
  const check = useLiveResource(site ? `/sites/${encodeURIComponent(site)}` : null, siteSchema);
  const siteRefused = check.status === 'error' && check.error instanceof ApiRequestError && check.error.status < 500;
  const checked: SiteChecked<M, typeof check> = {
    state: siteRefused ? check : main,
    refused: site ? { lead: `${name} for site ${site}`, byId: siteRefused } : undefined,
    siteRefused,
  };
  return checked;
}
