// Pure: the words a widget shows when its read failed (widgets.md: every widget says what
// happened). One rule for every widget, so a reader can tell a typo in the page's props from a
// token that may not see the thing from an outage:
// - the API refused (4xx): what it said, parsed from its error body with the contract's
//   errorSchema (src/data/answered.ts), never guessed, and the status; a 400 names the props'
//   fields at fault (`issues`); a 404 of a read by id notes that the API answers so for an id it
//   does not have and, the same, for one this page's token may not see (another customer's);
// - the API failed (5xx, 408, 429): what it said and that the read is retried by itself;
// - no answer at all (network, API down): "data API unreachable"; the frame keeps the last data
//   it had (`stale`, "showing data from <time>") and the read is retried by itself.
import { errorSchema } from '../../../data-api/src/contracts/errors.ts';
import { answeredMessage } from '../../data/answered.ts';
import { ApiRequestError } from '../../data/client.ts';
import { ContractMismatchError } from '../../data/parse.ts';

export const UNREACHABLE_NO_DATA = 'data API unreachable — no data yet; retrying by itself.';

export interface RefusalContext {
  /** How the sentence starts: `No chart for gw_x`, `DeviceHealth for gw_x`, `DeploymentBoard`. */
  lead: string;
  /** The read names one thing by id (a device, a run, a site): a 404 may also mean "not yours". */
  byId?: boolean;
}

/** No answer came (fetch threw): the API is down or the network is. */
export function isNetworkError(err: Error | null): boolean {
  if (!err || err instanceof ApiRequestError || err instanceof ContractMismatchError) return false;
  return err.name === 'TypeError' || /fetch|network/i.test(err.message);
}

/** What the widget says about the failed read `err` (null: nothing failed, or nothing to say). */
export function refusalText({ lead, byId = false }: RefusalContext, err: Error | null): string {
  if (err instanceof ContractMismatchError) return `${lead}: ${err.message}.`;
  if (!(err instanceof ApiRequestError))
    return isNetworkError(err) || !err ? UNREACHABLE_NO_DATA : `${lead}: ${err.message}`;
  const said = answeredMessage(err);
  const answered = said
    ? `${lead}: the data API answered “${said}” (${err.status})`
    : `${lead}: the data API answered ${err.status} with no reason`;
  const body = errorSchema.safeParse(err.body);
  const issues = body.success ? (body.data.issues ?? []) : [];
  switch (true) {
    case err.status === 400:
      return `${answered}${issues.length ? `: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}` : ''}. Check this widget's props on the page.`;
    case err.status === 401:
      return `${answered}. This read needs a token: sign in.`;
    case err.status === 403:
      return `${answered}. This page's token may not read it.`;
    case err.status === 404:
      return byId
        ? `${answered}. It answers so for an id it does not have and for one this page's token may not see.`
        : `${answered}.`;
    case err.status >= 500 || err.status === 408 || err.status === 429:
      return `${answered}; retrying by itself.`;
    default:
      return `${answered}.`;
  }
}
