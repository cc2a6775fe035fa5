// The WhatsApp channel against a local Cloud API endpoint that checks template messages as Meta
// documents them, and its bodies compiled against Meta's own SDK types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WhatsAppConfig } from '../../data-api/src/contracts/notification-channels.ts';
import { channelFor } from '../../data-api/src/notifications/channels/index.ts';
import { whatsappMessages } from '../../data-api/src/notifications/channels/whatsapp.ts';
import { resolvedOf, sampleNotification, sendContext } from '../helpers/notifications.ts';
import { checkWhatsAppMessagesAgainstMetaTypes } from '../helpers/peer-formats.ts';
import { startWhatsAppStandIn, type WhatsAppStandIn } from '../helpers/whatsapp-stand-in.ts';

const whatsapp = channelFor('whatsapp');
const env = { WA_TOKEN: 'EAAG-test-token' };
let wa: WhatsAppStandIn;
let config: WhatsAppConfig;

beforeAll(async () => {
  wa = await startWhatsAppStandIn({
    phoneNumberId: '106540352242922',
    token: env.WA_TOKEN,
    templates: [
      { name: 'fleet_alert', language: 'en_US', bodyParameters: 3 },
      { name: 'fleet_alert_detail', language: 'en', bodyParameters: 5 },
    ],
  });
  config = {
    base_url: wa.baseUrl,
    phone_number_id: '106540352242922',
    token: 'env:WA_TOKEN',
    to: ['+31612345678', '+4915112345678'],
    template: { name: 'fleet_alert', language: 'en_US' },
  };
});
afterAll(() => wa.close());

describe('whatsapp channel', () => {
  it("sends an approved template to each recipient with the bearer token; the Cloud API stand-in and Meta's types accept it", async () => {
    const n = sampleNotification({}, ['pump-7', 'pump-8']);
    const result = await whatsapp.send(config, n, sendContext(env));
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.detail).toMatch(
      /^\+31612345678: HTTP 200: message wamid\.\S+; \+4915112345678: HTTP 200: message wamid\.\S+$/,
    );
    const sent = wa.requests.slice(-2);
    expect(sent.map((r) => r.problems)).toEqual([[], []]);
    expect(sent.map((r) => [r.path, r.json.to])).toEqual([
      ['/v23.0/106540352242922/messages', '31612345678'],
      ['/v23.0/106540352242922/messages', '4915112345678'],
    ]);
    expect(sent[0].json.template.components[0].parameters.map((p: { text: string }) => p.text)).toEqual([
      'Motor overheating at farm-north (2 devices)',
      'FIRING:2',
      n.fleetbook.ackUrl,
    ]);

    // Meta's SDK types, for firing and resolved, default and chosen parameters.
    const detail: WhatsAppConfig = {
      ...config,
      template: {
        name: 'fleet_alert_detail',
        language: 'en',
        body_parameters: ['title', 'status', 'severity', 'summary', 'alert_count'],
      },
    };
    const resolved = await whatsapp.send(detail, resolvedOf(n, 'ntf_resolved'), sendContext(env));
    expect(resolved.ok).toBe(true);
    expect(wa.requests.slice(-2).map((r) => r.problems)).toEqual([[], []]);
    expect(checkWhatsAppMessagesAgainstMetaTypes(wa.requests.slice(-4).map((r) => r.json))).toEqual([]);
  });

  it("the checks are not vacuous: Meta's types and the stand-in refuse a malformed message", async () => {
    const [m] = whatsappMessages(config, sampleNotification()) as any[];
    const broken = { ...m, type: 'templates', template: { ...m.template, language: 'en_US' } };
    expect(checkWhatsAppMessagesAgainstMetaTypes([broken]).join('\n')).toMatch(
      /'"templates"' is not assignable[\s\S]*language/,
    );
    const res = await fetch(`${wa.baseUrl}/106540352242922/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.WA_TOKEN}` },
      body: JSON.stringify(broken),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(100);
  });

  it('parameters are made acceptable: newlines, tabs and long runs of spaces flattened', async () => {
    const n = sampleNotification();
    n.fleetbook = { ...n.fleetbook, title: 'Motor\novertemp\t on      pump-7' };
    expect((await whatsapp.send({ ...config, to: ['+31612345678'] }, n, sendContext(env))).ok).toBe(true);
    const last = wa.requests.at(-1)!;
    expect(last.problems).toEqual([]);
    expect(last.json.template.components[0].parameters[0].text).toBe('Motor overtemp on pump-7');
  });

  it('Graph API errors: bad token and wrong parameter count fail for good, throttling and 5xx are retried', async () => {
    const one = { ...config, to: ['+31612345678'] };
    const n = sampleNotification();
    const badToken = await whatsapp.send(one, n, sendContext({ WA_TOKEN: 'expired' }));
    expect(badToken).toMatchObject({ ok: false, retryable: false, status: 401 });
    expect(!badToken.ok && badToken.detail).toContain('error 190: Invalid OAuth access token.');
    const wrongCount = await whatsapp.send(
      { ...one, template: { ...one.template, body_parameters: ['title'] } },
      n,
      sendContext(env),
    );
    expect(wrongCount).toMatchObject({ ok: false, retryable: false, status: 400 });
    expect(!wrongCount.ok && wrongCount.detail).toContain('error 132000');
    const throttled = JSON.stringify({
      error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429 },
    });
    wa.failNext({ kind: 'status', status: 400, body: throttled }, { kind: 'status', status: 503, body: 'unavailable' });
    expect(await whatsapp.send(one, n, sendContext(env))).toEqual({
      ok: false,
      retryable: true,
      status: 400,
      detail: 'HTTP 400: error 130429: (#130429) Rate limit hit',
    });
    expect(await whatsapp.send(one, n, sendContext(env))).toEqual({
      ok: false,
      retryable: true,
      status: 503,
      detail: 'HTTP 503: unavailable',
    });
  });

  it('one of two recipients failing: the result says which, retryable when that failure can heal', async () => {
    wa.failNext(
      { kind: 'status', status: 200, body: '{"messaging_product":"whatsapp","messages":[{"id":"wamid.A"}]}' },
      { kind: 'hang' },
    );
    const started = Date.now();
    const result = await whatsapp.send(config, sampleNotification(), sendContext(env, { timeoutMs: 1000 }));
    expect(Date.now() - started).toBeLessThan(1000 + 700);
    expect(result).toEqual({
      ok: false,
      retryable: true,
      detail: expect.stringMatching(
        /^1 of 2 recipients failed: \+31612345678: HTTP 200: message wamid\.A; \+4915112345678: no answer within \d+ ms$/,
      ),
    });
  });

  it('silent, 10 MB and never-ending answers are decided within the timeout', async () => {
    const one = { ...config, to: ['+31612345678'] };
    wa.failNext({ kind: 'hang' }, { kind: 'huge', status: 500 }, { kind: 'endless', status: 502 });
    for (const expected of [
      { ok: false, retryable: true },
      { ok: false, retryable: true, status: 500 },
      { ok: false, retryable: true, status: 502 },
    ]) {
      const started = Date.now();
      const result = await whatsapp.send(one, sampleNotification(), sendContext(env, { timeoutMs: 800 }));
      expect(result).toMatchObject(expected);
      expect(Date.now() - started).toBeLessThan(800 + 700);
    }
  });
});
