// The WhatsApp Business Cloud API's send-message endpoint as Meta documents it:
// POST /<version>/<phone-number-id>/messages with `Authorization: Bearer <token>` and a JSON
// message. Checks every request against the documented template-message format (envelope,
// template name and language of an approved template, body parameter count and the rules of
// a text parameter) and answers as the Graph API does: 200 with contacts + messages ids, or an
// `error` object (190 bad token, 100 bad parameter, 132001 template not found, 132000
// parameter count mismatch, 132018 parameter text not allowed).
import { startHttpReceiver, type HttpReceiver, type RecordedRequest } from './http-receiver.ts';

export interface ApprovedTemplate {
  name: string;
  language: string;
  /** How many {{n}} the approved body has. */
  bodyParameters: number;
}

export interface WhatsAppStandIn extends HttpReceiver {
  /** The base_url to configure (version included). */
  baseUrl: string;
}

type Problem = { code: number; message: string };

export async function startWhatsAppStandIn(opts: {
  version?: string;
  phoneNumberId: string;
  token: string;
  templates: ApprovedTemplate[];
}): Promise<WhatsAppStandIn> {
  const version = opts.version ?? 'v23.0';
  const path = `/${version}/${opts.phoneNumberId}/messages`;
  const errorsOf = new WeakMap<object, Problem[]>();
  const validate = (req: Omit<RecordedRequest, 'problems' | 'at'>): Problem[] => {
    const e: Problem[] = [];
    const m = req.json;
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      e.push({ code: 190, message: 'Invalid OAuth access token.' });
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      e.push({ code: 100, message: 'content-type must be application/json' });
    if (!m || typeof m !== 'object') return [...e, { code: 100, message: 'body: expected a JSON object' }];
    const allowed = [
      'messaging_product',
      'recipient_type',
      'to',
      'type',
      'template',
      'context',
      'biz_opaque_callback_data',
    ];
    for (const k of Object.keys(m))
      if (!allowed.includes(k)) e.push({ code: 100, message: `(#100) Param ${k} is not valid` });
    if (m.messaging_product !== 'whatsapp') e.push({ code: 100, message: '(#100) messaging_product must be whatsapp' });
    if (m.recipient_type !== undefined && m.recipient_type !== 'individual')
      e.push({ code: 100, message: '(#100) recipient_type must be individual' });
    if (typeof m.to !== 'string' || !/^\+?[1-9]\d{6,14}$/.test(m.to))
      e.push({ code: 100, message: '(#100) to: expected a phone number with country code' });
    if (m.type !== 'template')
      return [...e, { code: 100, message: `(#100) type: this stand-in takes template messages, got ${m.type}` }];
    const t = m.template;
    if (!t || typeof t !== 'object') return [...e, { code: 100, message: '(#100) template: missing' }];
    for (const k of Object.keys(t))
      if (!['name', 'language', 'components'].includes(k))
        e.push({ code: 100, message: `(#100) template.${k} is not valid` });
    const lang = t.language;
    if (!lang || typeof lang.code !== 'string')
      e.push({ code: 100, message: '(#100) template.language.code: missing' });
    if (lang?.policy !== undefined && lang.policy !== 'deterministic')
      e.push({ code: 100, message: '(#100) template.language.policy must be deterministic' });
    const approved = opts.templates.find((a) => a.name === t.name && a.language === lang?.code);
    if (!approved)
      return [
        ...e,
        {
          code: 132001,
          message: `(#132001) Template name does not exist in the translation: ${t.name} (${lang?.code})`,
        },
      ];
    const components = t.components ?? [];
    if (!Array.isArray(components))
      return [...e, { code: 100, message: '(#100) template.components: expected an array' }];
    let bodyParams = 0;
    for (const c of components) {
      if (!['header', 'body', 'button'].includes(c?.type))
        e.push({ code: 100, message: `(#100) component type ${c?.type} is not valid` });
      if (c?.type !== 'body') continue;
      if (!Array.isArray(c.parameters)) {
        e.push({ code: 100, message: '(#100) body parameters: expected an array' });
        continue;
      }
      for (const prm of c.parameters) {
        bodyParams++;
        if (prm?.type !== 'text')
          e.push({ code: 100, message: `(#100) body parameter type ${prm?.type}: this template takes text` });
        else if (typeof prm.text !== 'string' || prm.text.length === 0)
          e.push({ code: 132018, message: '(#132018) parameter text: empty' });
        else if (/[\n\t]/.test(prm.text) || / {5,}/.test(prm.text)) {
          e.push({
            code: 132018,
            message: '(#132018) Param text cannot have new-line/tab characters or more than 4 consecutive spaces',
          });
        }
      }
    }
    if (bodyParams !== approved.bodyParameters) {
      e.push({
        code: 132000,
        message: `(#132000) Number of parameters does not match the expected number of params (${bodyParams} ≠ ${approved.bodyParameters})`,
      });
    }
    return e;
  };
  const check = (req: Omit<RecordedRequest, 'problems' | 'at'>): string[] => {
    const p: Problem[] = [];
    if (req.method !== 'POST') p.push({ code: 100, message: `method: expected POST, got ${req.method}` });
    if (req.path !== path) p.push({ code: 100, message: `path: expected ${path}, got ${req.path}` });
    p.push(...validate(req));
    errorsOf.set(req.headers, p);
    return p.map((x) => `${x.code}: ${x.message}`);
  };
  let seq = 0;
  const receiver = await startHttpReceiver(check, (req) => {
    const errs = errorsOf.get(req.headers) ?? [];
    if (errs.length) {
      const first = errs[0];
      const status = first.code === 190 ? 401 : req.path !== path ? 404 : 400;
      const error = {
        message: first.message,
        type: 'OAuthException',
        code: first.code,
        error_data: { messaging_product: 'whatsapp', details: errs.map((x) => x.message).join('; ') },
        fbtrace_id: 'AbCdEfGhIjK',
      };
      return { status, body: JSON.stringify({ error }), headers: { 'content-type': 'application/json' } };
    }
    const to = String(req.json.to).replace(/^\+/, '');
    const id = `wamid.HBgL${to}FQIAERgS${String(++seq).padStart(8, '0')}`;
    const body = {
      messaging_product: 'whatsapp',
      contacts: [{ input: req.json.to, wa_id: to }],
      messages: [{ id, message_status: 'accepted' }],
    };
    return { status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  });
  return { ...receiver, baseUrl: `${receiver.url}/${version}` };
}
