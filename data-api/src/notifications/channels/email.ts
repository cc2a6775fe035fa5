// Email over SMTP with nodemailer: text and HTML parts, and threading headers so every message
// about one alert group (firing, escalations, repeats, resolved) lands in one thread:
// In-Reply-To and References name a thread id derived from the receiver and group key, and the
// subject stays the same (the status is the first words of the body, which inboxes preview).
// Message-ID is derived from the notification id, so a retry of one notification is the same
// message to the server and the reader's client (which drop a second copy).
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { EmailConfig } from '../../contracts/notification-channels.ts';
import { VERSION } from '../../kernel/version.ts';
import { resolveField } from './http.ts';
import { renderNotification, type RenderedNotification } from './render.ts';
import type { Channel, DeliveryResult, OutgoingNotification, SendContext } from './types.ts';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  messageId: string;
  inReplyTo: string;
  references: string[];
  headers: Record<string, string>;
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The right-hand side of our Message-IDs: the handbook's host, so they are recognisably ours. */
function idDomain(n: OutgoingNotification): string {
  try {
    return new URL(n.externalURL).hostname || 'fleetbook.invalid';
  } catch {
    return 'fleetbook.invalid';
  }
}

/** The Message-ID every message of one alert group replies to. */
export function emailThreadId(n: OutgoingNotification): string {
  return `<alerts.${hash(n.receiver, n.groupKey)}@${idDomain(n)}>`;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function textBody(r: RenderedNotification): string {
  const out = [`${r.statusText}: ${r.title}`, ''];
  if (r.severity) out.push(`Severity: ${r.severity}`);
  out.push(`Alerts: ${r.alertCount}`);
  if (r.summary) out.push('', r.summary);
  out.push('');
  for (const l of r.lines) out.push(`- [${l.status}] ${l.text}${l.url ? `\n  ${l.url}` : ''}`);
  if (r.moreAlerts > 0) out.push(`- and ${r.moreAlerts} more`);
  if (r.links.length) out.push('', ...r.links.map((l) => `${l.label}: ${l.url}`));
  out.push('', '-- ', r.footer);
  return out.join('\n');
}

function htmlBody(r: RenderedNotification): string {
  const colour = r.status === 'firing' ? (r.severity === 'critical' ? '#c62828' : '#ef6c00') : '#2e7d32';
  const items = r.lines
    .map((l) => {
      const text = escapeHtml(l.text);
      return `<li><strong>${l.status}</strong> ${l.url ? `<a href="${escapeHtml(l.url)}">${text}</a>` : text}</li>`;
    })
    .join('');
  const more = r.moreAlerts > 0 ? `<li>and ${r.moreAlerts} more</li>` : '';
  const severity = r.severity ? `Severity: <strong>${escapeHtml(r.severity)}</strong> &middot; ` : '';
  const links = r.links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a>`).join(' &middot; ');
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${colour};margin:0 0 8px">${escapeHtml(r.statusText)}: ${escapeHtml(r.title)}</h2>`,
    `<p>${severity}Alerts: ${r.alertCount}</p>`,
    r.summary ? `<p>${escapeHtml(r.summary)}</p>` : '',
    `<ul>${items}${more}</ul>`,
    links ? `<p>${links}</p>` : '',
    `<p style="color:#666;font-size:12px">${escapeHtml(r.footer)}</p>`,
    '</body></html>',
  ].join('\n');
}

/** The message for a notification (exported for the tests that parse what the server got). */
export function emailMessage(config: EmailConfig, n: OutgoingNotification): EmailMessage {
  const r = renderNotification(n);
  const thread = emailThreadId(n);
  return {
    subject: `${config.subject_prefix ?? '[fleetbook]'} ${r.title}`,
    text: textBody(r),
    html: htmlBody(r),
    messageId: `<notification.${hash(n.fleetbook.notificationId)}@${idDomain(n)}>`,
    inReplyTo: thread,
    references: [thread],
    headers: {
      'X-Fleetbook-Notification': n.fleetbook.notificationId,
      'X-Fleetbook-Status': n.status,
      'X-Fleetbook-Group-Key': hash(n.groupKey),
    },
  };
}

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
}

async function send(config: EmailConfig, n: OutgoingNotification, ctx: SendContext): Promise<DeliveryResult> {
  let pass: string | undefined;
  if (config.password) {
    const r = resolveField(ctx, 'password', config.password);
    if ('failure' in r) return r.failure;
    pass = r.value;
  }
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port ?? (config.secure ? 465 : 587),
    secure: config.secure ?? false,
    requireTLS: config.require_tls ?? false,
    auth: config.username ? { user: config.username, pass } : undefined,
    name: idDomain(n),
    // Each SMTP step has the whole budget; the race below holds the total to it too.
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
  });
  const m = emailMessage(config, n);
  const controller = new AbortController();
  const stop = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<DeliveryResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      transport.close();
      resolve({ ok: false, retryable: true, detail: `the SMTP server did not complete within ${ctx.timeoutMs} ms` });
    }, ctx.timeoutMs);
  });
  const sending = (async (): Promise<DeliveryResult> => {
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: config.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        inReplyTo: m.inReplyTo,
        references: m.references,
        headers: { ...m.headers, 'X-Mailer': `fleetbook/${VERSION}` },
        signal: controller.signal,
      });
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length === 0) return { ok: true, detail: info.response };
      // Some recipients refused: retried when one refusal is transient (4yz). The others get the
      // same Message-ID again, which mail clients show once.
      const codes = ((info as { rejectedErrors?: SmtpError[] }).rejectedErrors ?? []).map((e) => e.responseCode ?? 0);
      const transient = codes.some((c) => c < 500 || c === 503);
      return {
        ok: false,
        retryable: transient,
        ...(codes[0] ? { status: codes[0] } : {}),
        detail: `${info.response}; refused: ${rejected.join(', ')}${codes.length ? ` (${codes.join(', ')})` : ''}`,
      };
    } catch (e) {
      const err = e as SmtpError;
      if (ctx.signal.aborted) return { ok: false, retryable: true, detail: 'sending was cancelled (shutting down)' };
      const what = err.response ?? err.message;
      // RFC 5321: 5yz is permanent (503 excepted: a bad session state), 4yz and lost connections are not.
      const permanent =
        err.permanent ?? (err.responseCode !== undefined && err.responseCode >= 500 && err.responseCode !== 503);
      // Without a reply code: refused credentials, recipients or settings will not get better by retrying.
      const permanentCode = !err.responseCode && ['EAUTH', 'EENVELOPE', 'ECONFIG'].includes(err.code ?? '');
      return {
        ok: false,
        retryable: !(permanent || permanentCode),
        ...(err.responseCode ? { status: err.responseCode } : {}),
        detail: `${err.code ? `${err.code}: ` : ''}${what}`,
      };
    }
  })();
  try {
    return await Promise.race([sending, deadline]);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', stop);
    transport.close();
  }
}

export const emailChannel: Channel<EmailConfig> = { type: 'email', send };
