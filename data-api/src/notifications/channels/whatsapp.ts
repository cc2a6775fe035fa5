// WhatsApp Business Cloud API: a template message (the only kind a business may send outside a
// 24-hour conversation window, so the only kind that can page someone) per recipient, POSTed to
// `<base_url>/<phone_number_id>/messages` with a bearer token. The base URL is configurable for
// a provider fronting the same API. The template's body parameters carry what the contact point
// asks for (default: title, status, link).
import type { WhatsAppConfig } from '../../contracts/notification-channels.ts';
import { WHATSAPP_DEFAULT_BASE_URL, WHATSAPP_TEMPLATE_FIELDS } from '../../contracts/notification-channels.ts';
import { VERSION } from '../../kernel/version.ts';
import { failureOf, post, resolveField, resultOfAnswer, type HttpAnswer } from './http.ts';
import { clip, renderNotification } from './render.ts';
import type { Channel, DeliveryResult, OutgoingNotification, SendContext } from './types.ts';

type TemplateField = (typeof WHATSAPP_TEMPLATE_FIELDS)[number];
const DEFAULT_FIELDS: TemplateField[] = ['title', 'status', 'link'];
/** Kept short: a template body (its text and parameters) may not exceed 1,024 characters. */
const PARAMETER_MAX = 250;

/**
 * Graph API error codes that a later attempt can get past (Cloud API error codes reference):
 * unknown/service errors, rate limits, pair rate limit, temporarily unavailable.
 */
export const WHATSAPP_RETRYABLE_CODES = new Set([1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004]);

export interface WhatsAppTemplateMessage {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  to: string;
  type: 'template';
  template: {
    name: string;
    language: { policy: 'deterministic'; code: string };
    components: Array<{ type: 'body'; parameters: Array<{ type: 'text'; text: string }> }>;
  };
}

/** A parameter as the Cloud API accepts it (no newlines or tabs, no more than 4 spaces in a row, not empty). */
export function templateParameter(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return clip(flat || '-', PARAMETER_MAX);
}

export function whatsappMessages(config: WhatsAppConfig, n: OutgoingNotification): WhatsAppTemplateMessage[] {
  const r = renderNotification(n);
  const value: Record<TemplateField, string> = {
    title: r.title,
    status: r.statusText,
    severity: r.severity ?? 'none',
    summary: r.summary ?? r.lines[0]?.text ?? r.title,
    alert_count: String(r.alertCount),
    link: r.primaryUrl ?? n.externalURL,
  };
  const fields = config.template.body_parameters ?? DEFAULT_FIELDS;
  const parameters = fields.map((f) => ({ type: 'text' as const, text: templateParameter(value[f]) }));
  return config.to.map((to) => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
    type: 'template',
    template: {
      name: config.template.name,
      language: { policy: 'deterministic', code: config.template.language },
      components: parameters.length ? [{ type: 'body', parameters }] : [],
    },
  }));
}

/** The Graph API's error object, when the answer carries one. */
function graphError(answer: HttpAnswer): { code?: number; message?: string } | null {
  try {
    const body = JSON.parse(answer.text) as { error?: { code?: number; message?: string } };
    return body.error ?? null;
  } catch {
    return null;
  }
}

function resultOfWhatsApp(answer: HttpAnswer): DeliveryResult {
  const base = resultOfAnswer(answer);
  if (base.ok) {
    try {
      const id = (JSON.parse(answer.text) as { messages?: Array<{ id?: string }> }).messages?.[0]?.id;
      return id ? { ...base, detail: `HTTP ${answer.status}: message ${id}` } : base;
    } catch {
      return base;
    }
  }
  const err = graphError(answer);
  if (err?.code === undefined) return base;
  const retryable = base.retryable || WHATSAPP_RETRYABLE_CODES.has(err.code);
  return { ...base, retryable, detail: `HTTP ${answer.status}: error ${err.code}: ${err.message ?? ''}`.trim() };
}

async function send(config: WhatsAppConfig, n: OutgoingNotification, ctx: SendContext): Promise<DeliveryResult> {
  const token = resolveField(ctx, 'token', config.token);
  if ('failure' in token) return token.failure;
  const base = (config.base_url ?? WHATSAPP_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${base}/${config.phone_number_id}/messages`;
  const headers = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${token.value}`,
    'User-Agent': `fleetbook/${VERSION}`,
    'Idempotency-Key': ctx.idempotencyKey,
  };
  // One message per recipient (the API takes one `to`); all of them share the deadline.
  const started = Date.now();
  const results: Array<{ to: string; result: DeliveryResult }> = [];
  for (const message of whatsappMessages(config, n)) {
    const left = ctx.timeoutMs - (Date.now() - started);
    let result: DeliveryResult;
    if (left <= 0) result = { ok: false, retryable: true, detail: `no time left within ${ctx.timeoutMs} ms` };
    else {
      try {
        result = resultOfWhatsApp(await post(url, JSON.stringify(message), headers, { ...ctx, timeoutMs: left }));
      } catch (err) {
        result = failureOf(err, { ...ctx, timeoutMs: left });
      }
    }
    results.push({ to: message.to, result });
  }
  if (results.length === 1) return results[0].result;
  const detail = results.map((r) => `+${r.to}: ${r.result.detail ?? 'sent'}`).join('; ');
  const failed = results.filter((r) => !r.result.ok);
  if (failed.length === 0) return { ok: true, status: 200, detail };
  // Retrying sends again to the recipients that already got it: only when one failure can heal.
  const retryable = failed.some((r) => !r.result.ok && r.result.retryable);
  const after = failed
    .map((r) => (!r.result.ok ? r.result.retryAfterMs : undefined))
    .filter((x): x is number => x !== undefined);
  return {
    ok: false,
    retryable,
    detail: `${failed.length} of ${results.length} recipients failed: ${detail}`,
    ...(after.length ? { retryAfterMs: Math.max(...after) } : {}),
  };
}

export const whatsappChannel: Channel<WhatsAppConfig> = { type: 'whatsapp', send };
