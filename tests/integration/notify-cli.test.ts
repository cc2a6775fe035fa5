// `fleetbook notify test <contact-point>` as a user runs it: the real CLI, a real receiver.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { startWebhookStandIn, type WebhookStandIn } from '../helpers/webhook-stand-in.ts';

let hook: WebhookStandIn;
let dir: string;
let file: string;
const env = () => ({ HOOK_URL: `${hook.url}/alerts`, HOOK_KEY: 'cli-hmac-key' });

beforeAll(async () => {
  hook = await startWebhookStandIn({ secret: 'cli-hmac-key' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-notify-cli-'));
  file = path.join(dir, 'contact-points.yaml');
  fs.writeFileSync(
    file,
    [
      'contact_points:',
      '  - name: ops-hook',
      '    type: webhook',
      '    config:',
      '      url: env:HOOK_URL',
      '      hmac_secret: env:HOOK_KEY',
      '      timeout_ms: 2000',
      '  - name: ops-chat',
      '    type: slack',
      '    config: { url: env:SLACK_WEBHOOK_URL }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await hook.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('fleetbook notify test', () => {
  it('sends a test message and prints what the receiver answered', async () => {
    const r = await runCli(
      ['notify', 'test', 'ops-hook', '--file', file, '--url', 'https://handbook.example.org'],
      env(),
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^ops-hook \(webhook\): sending a firing test message…\ndelivered in \d+ ms; the receiver answered: HTTP 200: \{"status":"ok"\}\n$/,
    );
    const req = hook.requests.at(-1)!;
    expect(req.problems).toEqual([]);
    expect(req.json.receiver).toBe('ops-hook');
    expect(req.json.externalURL).toBe('https://handbook.example.org');
    expect(req.json.alerts[0].labels).toMatchObject({
      alertname: 'FleetbookTestNotification',
      contact_point: 'ops-hook',
    });
  });

  it("exits 1 with the receiver's answer when it is not delivered, and when a secret is not set", async () => {
    hook.failNext({ kind: 'status', status: 500, body: 'receiver is down' });
    const failed = await runCli(['notify', 'test', 'ops-hook', '--file', file], env());
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /not delivered after \d+ ms \(the outbox would retry\): HTTP 500: receiver is down\n$/,
    );
    const unset = await runCli(['notify', 'test', 'ops-chat', '--file', file], { SLACK_WEBHOOK_URL: '' });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toContain(
      "(the outbox would not retry): url: env:SLACK_WEBHOOK_URL is not set in this process's environment",
    );
  });

  it('an invalid file is reported at its line, an unknown contact point by name', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      [
        'contact_points:',
        '  - name: ops-hook',
        '    type: webhook',
        '    config:',
        '      url: https://example.com/hook',
        '      hmac_secret: plain-text-key',
        '',
      ].join('\n'),
    );
    const invalid = await runCli(['notify', 'test', 'ops-hook', '--file', bad]);
    expect(invalid.code).toBe(1);
    const shown = path.relative(process.cwd(), bad);
    expect(invalid.stdout).toBe(
      `${shown}:6:7  contact_points[0].config.hmac_secret is a secret and must not be written inline: give a reference env:NAME to the variable that holds it  notifications/inline-secret\n`,
    );
    expect(invalid.stdout).not.toContain('plain-text-key');
    const unknown = await runCli(['notify', 'test', 'nobody', '--file', file]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`fleetbook: no contact point nobody in ${file} (it has: ops-hook, ops-chat)\n`);
  });
});
