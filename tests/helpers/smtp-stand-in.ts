// A real SMTP server (smtp-server) for the email channel: it speaks SMTP to nodemailer as any
// mail server would, optionally requires AUTH PLAIN/LOGIN, and parses every accepted message
// with mailparser. It checks what a mail client needs to show and thread the message: From/To
// as sent in the envelope, a subject, both a text and an HTML part, a Message-ID, and the
// In-Reply-To/References threading headers (RFC 5322 section 3.6.4 msg-id syntax).
// `rejectNext` makes it answer an SMTP error at RCPT TO (4xx transient, 5xx permanent).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  raw: string;
  parsed: ParsedMail;
  problems: string[];
  authUser: string | null;
}

export interface SmtpStandIn {
  host: string;
  port: number;
  messages: ReceivedMail[];
  /** The next RCPT TO commands are answered with these SMTP codes (e.g. 451, 550). */
  rejectNext(...codes: number[]): void;
  close(): Promise<void>;
}

const MSG_ID = /^<[^<>@\s]+@[^<>@\s]+>$/;

export function checkMail(parsed: ParsedMail, envelope: { from: string; to: string[] }): string[] {
  const p: string[] = [];
  const from = parsed.from?.value[0]?.address;
  if (from !== envelope.from) p.push(`From: ${from} is not the envelope sender ${envelope.from}`);
  const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) =>
    a.value.map((v) => v.address),
  );
  for (const rcpt of envelope.to) if (!to.includes(rcpt)) p.push(`To: ${rcpt} (envelope) missing from the header`);
  if (!parsed.subject) p.push('Subject: missing');
  if (!parsed.text?.trim()) p.push('text part: missing');
  if (typeof parsed.html !== 'string' || !parsed.html.includes('<')) p.push('HTML part: missing');
  if (!parsed.messageId || !MSG_ID.test(parsed.messageId))
    p.push(`Message-ID: ${parsed.messageId} is not an RFC 5322 msg-id`);
  if (!parsed.inReplyTo || !MSG_ID.test(parsed.inReplyTo)) p.push('In-Reply-To: missing or not a msg-id');
  const refs = typeof parsed.references === 'string' ? [parsed.references] : (parsed.references ?? []);
  if (!refs.length || !refs.every((r) => MSG_ID.test(r))) p.push('References: missing or not msg-ids');
  if (parsed.inReplyTo && !refs.includes(parsed.inReplyTo)) p.push('References: does not contain In-Reply-To');
  if (!parsed.date) p.push('Date: missing');
  return p;
}

export async function startSmtpStandIn(opts: { user?: string; password?: string } = {}): Promise<SmtpStandIn> {
  const messages: ReceivedMail[] = [];
  const rejects: number[] = [];
  const requireAuth = opts.user !== undefined;
  const server = new SMTPServer({
    authOptional: !requireAuth,
    allowInsecureAuth: true, // plain TCP on 127.0.0.1 in tests
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === opts.user && auth.password === opts.password) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      const code = rejects.shift();
      if (code)
        cb(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        const user = (session as { user?: unknown }).user;
        messages.push({
          envelope,
          raw,
          parsed,
          problems: checkMail(parsed, envelope),
          authUser: typeof user === 'string' ? user : null,
        });
        cb(null, 'OK: queued as fleetbook-stand-in');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    messages,
    rejectNext: (...codes) => rejects.push(...codes),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
