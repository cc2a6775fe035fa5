// Slack's incoming-webhook endpoint as the Slack docs describe it: POST JSON to
// /services/T…/B…/<secret>; answers `ok` (200, text/plain) or an error string (400
// invalid_payload / no_text / invalid_blocks, 404 no_service). Every request is checked against
// Block Kit's documented rules (the limits quoted in @slack/types, vendored in
// tests/fixtures/peers/slack): block and element types, text object types, lengths, counts,
// unique block_id and action_id, and a top-level `text` fallback beside `blocks`.
import { startHttpReceiver, type HttpReceiver, type RecordedRequest } from './http-receiver.ts';

export const SLACK_WEBHOOK_PATH = '/services/T0FLEETBK/B0NOTIFY1/aB3dE5gH7jK9mN1pQ3sT5vW7';

const TOP_LEVEL = new Set([
  'text',
  'blocks',
  'attachments',
  'thread_ts',
  'mrkdwn',
  'unfurl_links',
  'unfurl_media',
  'username',
  'icon_emoji',
  'icon_url',
  'channel',
  'link_names',
  'metadata',
]);

function textObject(t: any, where: string, p: string[], opts: { plainOnly?: boolean; max: number }): void {
  if (!t || typeof t !== 'object') return void p.push(`${where}: expected a text object`);
  if (t.type !== 'plain_text' && t.type !== 'mrkdwn') p.push(`${where}.type: expected plain_text or mrkdwn`);
  if (opts.plainOnly && t.type !== 'plain_text') p.push(`${where}.type: must be plain_text`);
  if (typeof t.text !== 'string' || t.text.length < 1) p.push(`${where}.text: expected 1 or more characters`);
  else if (t.text.length > opts.max) p.push(`${where}.text: ${t.text.length} characters, at most ${opts.max}`);
  if ('emoji' in t && t.type !== 'plain_text') p.push(`${where}.emoji: only for plain_text`);
  for (const k of Object.keys(t))
    if (!['type', 'text', 'emoji', 'verbatim'].includes(k)) p.push(`${where}.${k}: unknown field`);
}

/** Problems of an incoming-webhook payload against Slack's documented Block Kit rules. */
export function checkSlackPayload(body: any): string[] {
  const p: string[] = [];
  if (!body || typeof body !== 'object') return ['body: expected a JSON object'];
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) p.push(`${k}: not a field of an incoming-webhook message`);
  if (typeof body.text !== 'string' || !body.text)
    p.push('text: expected the fallback text beside blocks (notifications, screen readers)');
  if (!Array.isArray(body.blocks)) return [...p, 'blocks: expected an array'];
  if (body.blocks.length < 1 || body.blocks.length > 50)
    p.push(`blocks: ${body.blocks.length} blocks, 1 to 50 allowed`);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  body.blocks.forEach((b: any, i: number) => {
    const at = `blocks[${i}]`;
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255) p.push(`${at}.block_id: at most 255 characters`);
      if (blockIds.has(b.block_id)) p.push(`${at}.block_id: repeated`);
      blockIds.add(b.block_id);
    }
    switch (b.type) {
      case 'header':
        textObject(b.text, `${at}.text`, p, { plainOnly: true, max: 150 });
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) p.push(`${at}: text or fields required`);
        if (b.text !== undefined) textObject(b.text, `${at}.text`, p, { max: 3000 });
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length < 1 || b.fields.length > 10)
            p.push(`${at}.fields: 1 to 10 items`);
          else b.fields.forEach((f: any, j: number) => textObject(f, `${at}.fields[${j}]`, p, { max: 2000 }));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 10)
          p.push(`${at}.elements: 1 to 10 items`);
        else b.elements.forEach((e: any, j: number) => textObject(e, `${at}.elements[${j}]`, p, { max: 3000 }));
        break;
      case 'divider':
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length < 1 || b.elements.length > 25)
          p.push(`${at}.elements: 1 to 25 items`);
        else
          b.elements.forEach((e: any, j: number) => {
            const w = `${at}.elements[${j}]`;
            if (e.type !== 'button') return void p.push(`${w}.type: this stand-in knows buttons only, got ${e.type}`);
            textObject(e.text, `${w}.text`, p, { plainOnly: true, max: 75 });
            if (
              e.url !== undefined &&
              (typeof e.url !== 'string' || !/^https?:\/\//.test(e.url) || e.url.length > 3000)
            ) {
              p.push(`${w}.url: expected an http(s) URL of at most 3000 characters`);
            }
            if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger')
              p.push(`${w}.style: primary or danger`);
            if (e.action_id !== undefined) {
              if (typeof e.action_id !== 'string' || e.action_id.length > 255)
                p.push(`${w}.action_id: at most 255 characters`);
              if (actionIds.has(e.action_id)) p.push(`${w}.action_id: repeated within the message`);
              actionIds.add(e.action_id);
            }
          });
        break;
      default:
        p.push(`${at}.type: ${b.type} is not a block this stand-in accepts`);
    }
  });
  return p;
}

export async function startSlackStandIn(): Promise<HttpReceiver & { webhookUrl: string }> {
  const check = (req: Omit<RecordedRequest, 'problems' | 'at'>): string[] => {
    const p: string[] = [];
    if (req.method !== 'POST') p.push(`method: expected POST, got ${req.method}`);
    if (req.path !== SLACK_WEBHOOK_PATH) p.push(`path: ${req.path} is not this webhook`);
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      p.push('content-type: expected application/json');
    if (req.json === undefined) return [...p, 'body: not JSON'];
    return [...p, ...checkSlackPayload(req.json)];
  };
  const receiver = await startHttpReceiver(check, (req) => {
    if (req.path !== SLACK_WEBHOOK_PATH) return { status: 404, body: 'no_service' };
    if (req.json === undefined) return { status: 400, body: 'invalid_payload' };
    if (req.problems.some((x) => x.startsWith('text:'))) return { status: 400, body: 'no_text' };
    if (req.problems.length) return { status: 400, body: 'invalid_blocks' };
    return { status: 200, body: 'ok' };
  });
  return { ...receiver, webhookUrl: `${receiver.url}${SLACK_WEBHOOK_PATH}` };
}
