// The ticket of open_ticket_on_failure, sent to an external tracker's incoming webhook
// (payload "fleetbook tracker webhook v1", docs/contracts/work-items.mdx). The tracker may
// answer with its own key and URL, which the work item keeps as its external_ref.
import type { z } from 'zod';
import type { ExternalRefInput } from '../../contracts/work-items.ts';
import { httpRequest } from '../http.ts';
import type { SecretResolver } from '../secrets.ts';
import { trackerAnswerSchema, type trackerWebhookSchema } from '../../contracts/actions/open_ticket_on_failure.ts';

export interface TrackerTicket {
  work_item: { id: string; kind: 'ticket'; title: string; priority: string; owner: string | null; state: 'open' };
  run: {
    id: string;
    project: string;
    deployment_id: string;
    failed_action: { id: string; type: string; error: string };
  };
  /** The work item in the API, when the runner reports to one. */
  api_url: string | null;
}

export async function sendToTracker(
  tracker: z.output<typeof trackerWebhookSchema>,
  ticket: TrackerTicket,
  secrets: SecretResolver,
  signal: AbortSignal,
): Promise<ExternalRefInput> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'fleetbook-runner',
  };
  if (tracker.token) headers.authorization = `Bearer ${secrets.resolve(tracker.token)}`;
  const res = await httpRequest({
    method: 'POST',
    url: tracker.url,
    headers,
    body: JSON.stringify({ schema_version: 1, event: 'work_item.opened', ...ticket }),
    timeoutMs: tracker.timeout_s * 1000,
    signal,
  });
  if (res.status < 200 || res.status > 299) {
    throw new Error(
      `the tracker answered ${res.status} ${res.statusMessage}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`,
    );
  }
  let answer: z.infer<typeof trackerAnswerSchema> = {};
  try {
    const parsed = trackerAnswerSchema.safeParse(JSON.parse(res.body));
    if (parsed.success) answer = parsed.data;
  } catch {
    // Not JSON: the tracker took the ticket and said nothing we can keep.
  }
  return { system: tracker.system, key: answer.key ?? null, url: answer.url ?? null };
}
