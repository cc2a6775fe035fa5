// The Slack channel (@slack/webhook, Block Kit) against a local incoming-webhook endpoint that
// checks Block Kit's documented rules, and its messages compiled against Slack's own types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackConfig } from '../../data-api/src/contracts/notification-channels.ts';
import { channelFor } from '../../data-api/src/notifications/channels/index.ts';
import { slackMessage } from '../../data-api/src/notifications/channels/slack.ts';
import type { HttpReceiver } from '../helpers/http-receiver.ts';
import { resolvedOf, sampleNotification, sendContext } from '../helpers/notifications.ts';
import { checkSlackPayloadsAgainstSlackTypes } from '../helpers/peer-formats.ts';
import { checkSlackPayload, startSlackStandIn } from '../helpers/slack-stand-in.ts';

const slack = channelFor('slack');
const config: SlackConfig = { url: 'env:SLACK_WEBHOOK_URL', mention: '<!here>' };
let stand: HttpReceiver & { webhookUrl: string };
let env: Record<string, string>;

beforeAll(async () => {
  stand = await startSlackStandIn();
  env = { SLACK_WEBHOOK_URL: stand.webhookUrl };
});
afterAll(() => stand.close());

const many = Array.from({ length: 40 }, (_, i) => `soil-${String(i + 1).padStart(2, '0')}`);

describe('slack channel', () => {
  it('posts Block Kit messages Slack accepts: firing, 40 alerts at once, resolved; links back to the alert, runbook and ack', async () => {
    const firing = sampleNotification();
    const storm = sampleNotification(
      { fleetbook: { ...firing.fleetbook, notificationId: 'ntf_storm', title: 'x'.repeat(400) } },
      many,
    );
    for (const n of [firing, storm, resolvedOf(firing, 'ntf_resolved')]) {
      expect(await slack.send(config, n, sendContext(env))).toEqual({ ok: true, status: 200, detail: 'HTTP 200: ok' });
    }
    const bodies = stand.requests.slice(-3);
    expect(bodies.map((r) => r.problems)).toEqual([[], [], []]);
    // Slack's own definition of Block Kit (vendored @slack/types source): our JSON compiles as KnownBlock[].
    expect(checkSlackPayloadsAgainstSlackTypes(bodies.map((r) => r.json))).toEqual([]);

    const [first, big, resolved] = bodies.map((r) => r.json);
    expect(first.text).toBe('<!here> [FIRING] Motor overheating at farm-north (1 device)');
    const buttons = first.blocks.find((b: { type: string }) => b.type === 'actions').elements;
    expect(buttons.map((b: { text: { text: string }; url: string }) => [b.text.text, b.url])).toEqual([
      ['Acknowledge', firing.fleetbook.ackUrl],
      ['View alert', firing.alerts[0].generatorURL],
      ['Runbook', firing.fleetbook.runbookUrl],
    ]);
    const alertList = JSON.stringify(first.blocks);
    expect(alertList).toContain(`<${firing.alerts[0].generatorURL}|pump-7: motor_temp_c 96.5 &gt; 90 for 2m>`);
    // 40 alerts: one message listing 10 and counting the rest; the 400-character title cut to the header's 150.
    expect(big.blocks[0].text.text).toHaveLength(150);
    expect(JSON.stringify(big.blocks)).toContain('_and 30 more_');
    // Resolved: no mention, no acknowledge button, the same runbook link.
    expect(resolved.text).toBe('[RESOLVED] Motor overheating at farm-north (1 device)');
    const resolvedButtons = resolved.blocks.find((b: { type: string }) => b.type === 'actions').elements;
    expect(resolvedButtons.map((b: { text: { text: string } }) => b.text.text)).toEqual(['View alert', 'Runbook']);
  });

  it('the checks are not vacuous: Slack types and the stand-in both refuse a broken message', () => {
    const broken = slackMessage(config, sampleNotification()) as { text: string; blocks: any[] };
    broken.blocks[0] = { type: 'header', text: { type: 'mrkdwn', text: 'y'.repeat(151) } };
    broken.blocks.push({ type: 'section', txt: 'typo' });
    expect(checkSlackPayloadsAgainstSlackTypes([broken]).join('\n')).toMatch(
      /'"mrkdwn"' is not assignable[\s\S]*'"txt"' does not exist/,
    );
    expect(checkSlackPayload(broken)).toEqual([
      'blocks[0].text.type: must be plain_text',
      'blocks[0].text.text: 151 characters, at most 150',
      `blocks[${broken.blocks.length - 1}]: text or fields required`,
    ]);
  });

  it("Slack's error answers: 5xx retried, 4xx (no_service, invalid_blocks) not, 429 with Retry-After", async () => {
    stand.failNext(
      { kind: 'status', status: 500, body: 'rollup_error' },
      { kind: 'status', status: 404, body: 'no_service' },
      { kind: 'status', status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } },
    );
    const n = sampleNotification();
    expect(await slack.send(config, n, sendContext(env))).toEqual({
      ok: false,
      retryable: true,
      status: 500,
      detail: 'HTTP 500: rollup_error',
    });
    expect(await slack.send(config, n, sendContext(env))).toEqual({
      ok: false,
      retryable: false,
      status: 404,
      detail: 'HTTP 404: no_service',
    });
    expect(await slack.send(config, n, sendContext(env))).toEqual({
      ok: false,
      retryable: true,
      status: 429,
      detail: 'HTTP 429: rate_limited',
      retryAfterMs: 30_000,
    });
    const wrongHook = { SLACK_WEBHOOK_URL: `${stand.url}/services/T0/B0/revoked` };
    expect(await slack.send(config, n, sendContext(wrongHook))).toEqual({
      ok: false,
      retryable: false,
      status: 404,
      detail: 'HTTP 404: no_service',
    });
  });

  it('silent, late, 10 MB and never-ending answers: decided within the timeout, the answer read capped', async () => {
    stand.failNext(
      { kind: 'hang' },
      { kind: 'delay', ms: 3000 },
      { kind: 'huge', status: 200 },
      { kind: 'endless', status: 500 },
    );
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const result = await slack.send(config, sampleNotification(), sendContext(env, { timeoutMs: 800 }));
      outcomes.push({ result, ms: Date.now() - started });
    }
    expect(outcomes[0].result).toEqual({ ok: false, retryable: true, detail: 'no answer within 800 ms' });
    expect(outcomes[1].result).toEqual({ ok: false, retryable: true, detail: 'no answer within 800 ms' });
    expect(outcomes[2].result).toMatchObject({ ok: true, status: 200 });
    expect(outcomes[2].result.detail).toContain('answer cut');
    expect(outcomes[3].result).toMatchObject({ ok: false, retryable: true, status: 500 });
    for (const o of outcomes) expect(o.ms).toBeLessThan(800 + 700);
    expect(stand.stats.hugeFinished).toBe(0);
  });

  it('an unset webhook variable fails for good, naming it', async () => {
    expect(await slack.send(config, sampleNotification(), sendContext({}))).toEqual({
      ok: false,
      retryable: false,
      detail: "url: env:SLACK_WEBHOOK_URL is not set in this process's environment",
    });
  });
});
