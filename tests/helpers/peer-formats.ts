// Checks of what fleetbook sends against references written by the receiving projects
// themselves, vendored with their licences under tests/fixtures/peers/ (see its README):
// - Alertmanager: the webhook body as its configuration reference documents it;
// - Slack: Block Kit's TypeScript types from slackapi/node-slack-sdk (@slack/types);
// - WhatsApp: the Cloud API message types from Meta's WhatsApp/WhatsApp-Nodejs-SDK.
// The TypeScript references are checked by compiling our JSON as a literal of their types
// (excess properties, wrong literals, missing fields and wrong nesting all fail).
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const PEERS_DIR = path.resolve(__dirname, '../fixtures/peers');

/** The JSON body documented in Alertmanager's `<webhook_config>` section, as key → documented type. */
export function alertmanagerWebhookFormat(): { top: Record<string, string>; alert: Record<string, string> } {
  const doc = fs.readFileSync(path.join(PEERS_DIR, 'alertmanager/webhook_config.md'), 'utf8');
  const block = doc.split('JSON format to the configured\nendpoint:')[1]?.split('```')[1];
  if (!block) throw new Error('the vendored webhook_config.md no longer holds the JSON format block');
  const top: Record<string, string> = {};
  const alert: Record<string, string> = {};
  let inAlerts = false;
  for (const raw of block.split('\n')) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (line.startsWith('"alerts": [')) inAlerts = true;
    const m = /^"([A-Za-z_]+)":\s*(.+?),?$/.exec(line);
    if (!m || m[1] === 'alerts') continue;
    (inAlerts ? alert : top)[m[1]] = m[2];
  }
  top.alerts = '<array>';
  return { top, alert };
}

function typeProblem(documented: string, value: unknown): string | null {
  if (documented === '"4"') return value === '4' ? null : 'expected "4"';
  const choice = /^"<([a-z|]+)>"$/.exec(documented);
  if (choice && choice[1] !== 'rfc3339') {
    return choice[1].split('|').includes(value as string) ? null : `expected one of ${choice[1]}`;
  }
  if (documented === '"<rfc3339>"') {
    return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
      ? null
      : 'expected an RFC 3339 timestamp';
  }
  if (documented === '<string>') return typeof value === 'string' ? null : 'expected a string';
  if (documented === '<int>') return Number.isInteger(value) ? null : 'expected an integer';
  if (documented === '<array>') return Array.isArray(value) ? null : 'expected an array';
  if (documented === '<object>') {
    const ok =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string');
    return ok ? null : 'expected an object of strings (label set)';
  }
  return `documented type ${documented} is not known to this check`;
}

/**
 * Fields Alertmanager documents that fleetbook does not send, and why. `notification_reason` came
 * after the version-4 shape fleetbook implements; Alertmanager itself sends "unknown" when it
 * has none, and receivers treat it as optional.
 */
export const ALERTMANAGER_FIELDS_NOT_SENT: Record<string, string> = {
  notification_reason: 'added to Alertmanager after the version-4 body; optional for receivers',
};

/** Problems of a webhook body against Alertmanager's documented format (empty: it conforms). */
export function checkAlertmanagerWebhookBody(body: any): string[] {
  const { top, alert } = alertmanagerWebhookFormat();
  const problems: string[] = [];
  for (const [key, documented] of Object.entries(top)) {
    if (!(key in body)) {
      if (!(key in ALERTMANAGER_FIELDS_NOT_SENT)) problems.push(`${key}: missing`);
      continue;
    }
    const p = typeProblem(documented, body[key]);
    if (p) problems.push(`${key}: ${p}`);
  }
  (Array.isArray(body.alerts) ? body.alerts : []).forEach((a: any, i: number) => {
    for (const [key, documented] of Object.entries(alert)) {
      if (!(key in a)) problems.push(`alerts[${i}].${key}: missing`);
      else {
        const p = typeProblem(documented, a[key]);
        if (p) problems.push(`alerts[${i}].${key}: ${p}`);
      }
    }
  });
  if (
    Array.isArray(body.alerts) &&
    body.alerts.some((a: any) => a.status !== body.status && body.status === 'resolved')
  ) {
    problems.push('status: resolved while an alert is firing (Alertmanager: resolved only when all are)');
  }
  return problems;
}

/** Compiles `source` (a virtual file in `dir`) with the vendored types; returns its diagnostics. */
function compileAgainst(dir: string, source: string): string[] {
  const file = path.join(dir, '__fleetbook_check__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    path.resolve(name) === file
      ? ts.createSourceFile(name, source, lang, true)
      : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === file)
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = source.split('\n')[line]?.trim().slice(0, 120);
      return `line ${line + 1} (${text}): ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

/** Problems of Slack incoming-webhook payloads against Slack's Block Kit types (empty: they conform). */
export function checkSlackPayloadsAgainstSlackTypes(payloads: unknown[]): string[] {
  const source = [
    "import type { KnownBlock } from './block-kit/blocks';",
    // What an incoming webhook takes besides blocks is not in @slack/types; we send text + blocks only.
    'type Payload = { text: string; blocks: KnownBlock[] };',
    ...payloads.map((p, i) => `export const payload${i}: Payload = ${JSON.stringify(p, null, 2)};`),
  ].join('\n');
  return compileAgainst(path.join(PEERS_DIR, 'slack'), source);
}

/** Problems of WhatsApp Cloud API message bodies against Meta's SDK types (empty: they conform). */
export function checkWhatsAppMessagesAgainstMetaTypes(messages: unknown[]): string[] {
  const source = [
    "import type { MessageRequestBody, MessageTemplateObject } from './types/messages';",
    "import type { ComponentTypesEnum, MessageTypesEnum } from './types/enums';",
    // The SDK's enums are TypeScript enums; on the wire they are their string values.
    'type Wire<T> = T extends string ? `${T}` : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;',
    // api/messages.ts bodyBuilder: the envelope, with the template object under `template`.
    'type Body = Wire<MessageRequestBody<MessageTypesEnum.Template>> & {',
    '  template: Wire<MessageTemplateObject<ComponentTypesEnum.Body>>;',
    '};',
    ...messages.map((m, i) => `export const message${i}: Body = ${JSON.stringify(m, null, 2)};`),
  ].join('\n');
  return compileAgainst(path.join(PEERS_DIR, 'whatsapp'), source);
}
