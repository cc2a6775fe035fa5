// Slack incoming webhook through `@slack/webhook`, with Block Kit blocks: a header with the
// status and title, the alerts (each linking to its page), buttons to acknowledge, open the
// alert and its runbook, and a plain `text` fallback for notifications and screen readers.
// The library's fetch is ours, so the answer is read capped and within the send deadline.
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { SlackConfig } from '../../contracts/notification-channels.ts';
import { failureOf, post, resolveField, resultOfAnswer, type HttpAnswer } from './http.ts';
import { clip, renderNotification } from './render.ts';
import type { Channel, DeliveryResult, OutgoingNotification, SendContext } from './types.ts';

/** Slack's documented limits (Block Kit reference; vendored in tests/fixtures/peers/slack). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  buttonText: 75,
  url: 3000,
  blocks: 50,
};

/** Slack mrkdwn control characters (&, <, >) escaped, as Slack's formatting reference asks. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwnLink(url: string, text: string): string {
  // `|` and `>` end a Slack link: keep them out of the URL part.
  return `<${url.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|${escapeMrkdwn(text)}>`;
}

/** The Slack message for a notification (exported for the format checks against Slack's types). */
export function slackMessage(config: SlackConfig, n: OutgoingNotification): IncomingWebhookSendArguments {
  const r = renderNotification(n);
  const icon =
    r.status === 'firing'
      ? r.severity === 'critical'
        ? ':red_circle:'
        : ':large_orange_circle:'
      : ':white_check_mark:';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${r.statusText} · ${r.title}`, SLACK_LIMITS.headerText), emoji: true },
    },
  ];
  const intro = [
    r.status === 'firing' && config.mention ? config.mention : null,
    r.summary ? escapeMrkdwn(r.summary) : null,
  ]
    .filter(Boolean)
    .join(' ');
  if (intro) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(intro, SLACK_LIMITS.sectionText) } });
  const fields = [
    r.severity ? `*Severity*\n${escapeMrkdwn(r.severity)}` : null,
    `*Alerts*\n${r.alertCount}`,
    n.commonLabels.site ? `*Site*\n${escapeMrkdwn(n.commonLabels.site)}` : null,
    n.commonLabels.customer ? `*Customer*\n${escapeMrkdwn(n.commonLabels.customer)}` : null,
  ].filter((f): f is string => f !== null);
  blocks.push({
    type: 'section',
    fields: fields.map((text) => ({ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.fieldText) })),
  });
  const lines = r.lines.map(
    (l) =>
      `${l.status === 'firing' ? icon : ':white_check_mark:'} ${
        l.url ? mrkdwnLink(l.url, l.text) : escapeMrkdwn(l.text)
      }`,
  );
  if (r.moreAlerts > 0) lines.push(`_and ${r.moreAlerts} more_`);
  if (lines.length)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n'), SLACK_LIMITS.sectionText) } });
  const buttons: Button[] = r.links
    .filter((l) => l.url.length <= SLACK_LIMITS.url)
    .map((l, i) => ({
      type: 'button',
      action_id: `fleetbook_${l.label.toLowerCase().replace(/\W+/g, '_')}_${i}`,
      text: { type: 'plain_text', text: clip(l.label, SLACK_LIMITS.buttonText) },
      url: l.url,
      ...(l.label === 'Acknowledge' ? { style: 'primary' as const } : {}),
    }));
  if (buttons.length) blocks.push({ type: 'actions', elements: buttons } satisfies ActionsBlock);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(r.footer) }] });
  const mention = r.status === 'firing' && config.mention ? `${config.mention} ` : '';
  return { text: clip(`${mention}[${r.statusText}] ${r.title}`, SLACK_LIMITS.sectionText), blocks };
}

async function send(config: SlackConfig, n: OutgoingNotification, ctx: SendContext): Promise<DeliveryResult> {
  const r = resolveField(ctx, 'url', config.url);
  if ('failure' in r) return r.failure;
  let answer: HttpAnswer | null = null;
  const webhook = new IncomingWebhook(r.value, {
    timeout: 0, // the deadline is ours (ctx.timeoutMs, in post)
    retryConfig: { retries: 0 }, // the outbox retries, with backoff and a record of each attempt
    fetch: async (url, init) => {
      const headers = { ...init?.headers, 'Idempotency-Key': ctx.idempotencyKey };
      answer = await post(String(url), String(init?.body ?? ''), headers, ctx);
      const a = answer;
      return {
        ok: a.status >= 200 && a.status < 300,
        status: a.status,
        statusText: '',
        url: String(url),
        headers: {
          get: (name: string) => a.headers.get(name),
          entries: () => {
            const all: Array<[string, string]> = [];
            a.headers.forEach((v, k) => all.push([k, v]));
            return all;
          },
        },
        text: async () => a.text,
        json: async () => JSON.parse(a.text) as unknown,
        arrayBuffer: async () => new TextEncoder().encode(a.text).buffer as ArrayBuffer,
      };
    },
  });
  try {
    await webhook.send(slackMessage(config, n));
    return resultOfAnswer(answer!);
  } catch (err) {
    if (err instanceof IncomingWebhookHTTPError && answer) return resultOfAnswer(answer);
    return failureOf(err instanceof IncomingWebhookRequestError ? err.original : err, ctx);
  }
}

export const slackChannel: Channel<SlackConfig> = { type: 'slack', send };
