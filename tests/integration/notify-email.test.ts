// The email channel over SMTP to a real SMTP server (smtp-server), every message parsed with
// mailparser: parts, threading headers, auth, SMTP errors and a server that never greets.
import net from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmailConfig } from '../../data-api/src/contracts/notification-channels.ts';
import { emailThreadId } from '../../data-api/src/notifications/channels/email.ts';
import { channelFor } from '../../data-api/src/notifications/channels/index.ts';
import { resolvedOf, sampleNotification, sendContext } from '../helpers/notifications.ts';
import { freePort } from '../helpers/ports.ts';
import { startSmtpStandIn, type SmtpStandIn } from '../helpers/smtp-stand-in.ts';

const email = channelFor('email');
const env = { SMTP_PASSWORD: 's3cret-smtp' };
let smtp: SmtpStandIn;
let config: EmailConfig;

beforeAll(async () => {
  smtp = await startSmtpStandIn({ user: 'fleetbook', password: env.SMTP_PASSWORD });
  config = {
    to: ['ops@example.com', 'oncall@example.com'],
    from: 'fleetbook@example.com',
    host: smtp.host,
    port: smtp.port,
    secure: false,
    username: 'fleetbook',
    password: 'env:SMTP_PASSWORD',
  };
});
afterAll(() => smtp.close());

describe('email channel', () => {
  it('firing, its escalation and its resolution: three well-formed messages in one thread', async () => {
    const firing = sampleNotification({}, ['pump-7', 'pump-8']);
    const escalated = { ...firing, fleetbook: { ...firing.fleetbook, notificationId: 'ntf_step1', escalationStep: 1 } };
    const resolved = resolvedOf(firing, 'ntf_resolved');
    for (const n of [firing, escalated, resolved]) {
      const result = await email.send(config, n, sendContext(env));
      expect(result).toEqual({ ok: true, detail: '250 OK: queued as fleetbook-stand-in' });
    }
    const mails = smtp.messages.slice(-3);
    expect(mails.map((m) => m.problems)).toEqual([[], [], []]);
    expect(mails.map((m) => m.authUser)).toEqual(['fleetbook', 'fleetbook', 'fleetbook']);
    expect(mails[0].envelope).toEqual({ from: 'fleetbook@example.com', to: ['ops@example.com', 'oncall@example.com'] });

    const thread = emailThreadId(firing);
    expect(thread).toMatch(/^<alerts\.[0-9a-f]{32}@handbook\.example\.com>$/);
    for (const m of mails) {
      expect(m.parsed.inReplyTo).toBe(thread);
      expect(m.parsed.references).toBe(thread);
      expect(m.parsed.subject).toBe('[fleetbook] Motor overheating at farm-north (2 devices)');
    }
    expect(new Set(mails.map((m) => m.parsed.messageId)).size).toBe(3);
    expect(mails.map((m) => m.parsed.headers.get('x-fleetbook-status'))).toEqual(['firing', 'firing', 'resolved']);

    const [first, , last] = mails.map((m) => m.parsed);
    expect(first.text).toMatch(/^FIRING:2: Motor overheating at farm-north \(2 devices\)\n/);
    expect(first.text).toContain(`Acknowledge: ${firing.fleetbook.ackUrl}`);
    expect(first.text).toContain(`Runbook: ${firing.fleetbook.runbookUrl}`);
    expect(first.html).toContain(
      `<a href="${firing.alerts[0].generatorURL}">pump-7: motor_temp_c 96.5 &gt; 90 for 2m</a>`,
    );
    expect(escalatedFooter(mails[1].parsed.text)).toBe('fleetbook · ops · escalation step 1 · notification ntf_step1');
    expect(last.text).toMatch(/^RESOLVED: /);
    expect(last.text).not.toContain('Acknowledge');
  });

  it('the checks are not vacuous: a plain mail without threading headers or HTML is flagged', async () => {
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      auth: { user: 'fleetbook', pass: env.SMTP_PASSWORD },
    });
    await transport.sendMail({ from: 'fleetbook@example.com', to: 'ops@example.com', subject: 'hi', text: 'plain' });
    transport.close();
    expect(smtp.messages.at(-1)!.problems).toEqual([
      'HTML part: missing',
      'In-Reply-To: missing or not a msg-id',
      'References: missing or not msg-ids',
    ]);
  });

  it('a retry of one notification is the same message (same Message-ID); another group is another thread', async () => {
    const n = sampleNotification();
    await email.send(config, n, sendContext(env, { attempt: 1 }));
    await email.send(config, n, sendContext(env, { attempt: 2 }));
    const other = sampleNotification({ groupKey: '{}:{alertname="SoilProbeBattery"}' });
    await email.send(config, other, sendContext(env));
    const [a, b, c] = smtp.messages.slice(-3).map((m) => m.parsed);
    expect(b.messageId).toBe(a.messageId);
    expect(c.inReplyTo).not.toBe(a.inReplyTo);
  });

  it('SMTP answers: 4xx retried, 5xx and refused credentials not, an unset password named', async () => {
    smtp.rejectNext(451);
    const transient = await email.send(config, sampleNotification(), sendContext(env));
    expect(transient).toMatchObject({ ok: false, retryable: true, status: 451 });
    expect(!transient.ok && transient.detail).toMatch(/refused: ops@example.com \(451\)$/);
    smtp.rejectNext(550, 550);
    const permanent = await email.send(config, sampleNotification(), sendContext(env));
    expect(permanent).toMatchObject({ ok: false, retryable: false, status: 550 });
    const badLogin = await email.send(config, sampleNotification(), sendContext({ SMTP_PASSWORD: 'wrong' }));
    expect(badLogin).toMatchObject({ ok: false, retryable: false, status: 535 });
    expect(!badLogin.ok && badLogin.detail).toMatch(/^EAUTH: /);
    expect(await email.send(config, sampleNotification(), sendContext({}))).toEqual({
      ok: false,
      retryable: false,
      detail: "password: env:SMTP_PASSWORD is not set in this process's environment",
    });
  });

  it('a server that accepts the connection and never greets, and one that refuses it: retryable, within the timeout', async () => {
    const silent = net.createServer(() => undefined); // holds the socket, says nothing
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const result = await email.send(
        { ...config, port: silentPort },
        sampleNotification(),
        sendContext(env, { timeoutMs: 1000 }),
      );
      expect(result).toMatchObject({ ok: false, retryable: true });
      expect(Date.now() - started).toBeLessThan(1000 + 700);
    } finally {
      silent.close();
    }
    const refused = await email.send(
      { ...config, port: await freePort() },
      sampleNotification(),
      sendContext(env, { timeoutMs: 1000 }),
    );
    expect(refused).toMatchObject({ ok: false, retryable: true });
    expect(!refused.ok && refused.detail).toContain('ECONNREFUSED');
  });
});

function escalatedFooter(text: string | undefined): string | undefined {
  return text?.trim().split('\n').at(-1);
}
