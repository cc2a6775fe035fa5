import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contactPointSchema, contactPointsFileSchema } from '../../data-api/src/contracts/notification-channels.ts';
import { readContactPointsFile } from '../../data-api/src/notifications/channels/contact-points-file.ts';

const issuesOf = (input: unknown) => {
  const r = contactPointsFileSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('contact points contract', () => {
  it('accepts one contact point of each type with secrets as env: references', () => {
    const file = {
      contact_points: [
        {
          name: 'ops-hook',
          type: 'webhook',
          config: { url: 'https://hooks.example.com/x', hmac_secret: 'env:HOOK_KEY' },
        },
        { name: 'ops-chat', type: 'slack', config: { url: 'env:SLACK_WEBHOOK_URL', mention: '<!here>' } },
        {
          name: 'ops-mail',
          type: 'email',
          config: {
            to: ['ops@example.com'],
            from: 'fleetbook@example.com',
            host: 'smtp.example.com',
            username: 'u',
            password: 'env:SMTP_PASSWORD',
          },
        },
        {
          name: 'on-call',
          type: 'whatsapp',
          config: {
            phone_number_id: '106540352242922',
            token: 'env:WA_TOKEN',
            to: ['+31612345678'],
            template: { name: 'fleet_alert' },
          },
        },
      ],
    };
    const parsed = contactPointsFileSchema.parse(file);
    expect(parsed.contact_points.map((p) => p.type)).toEqual(['webhook', 'slack', 'email', 'whatsapp']);
    const wa = parsed.contact_points[3];
    expect(wa.type === 'whatsapp' && wa.config.template.language).toBe('en');
  });

  it('refuses an inline secret, naming the field and never quoting the value', () => {
    const issues = issuesOf({
      contact_points: [
        { name: 'a', type: 'slack', config: { url: 'https://hooks.slack.com/services/T0/B0/sekrit' } },
        {
          name: 'b',
          type: 'whatsapp',
          config: { phone_number_id: '12345', token: 'EAAG-sekrit', to: ['+31612345678'], template: { name: 't' } },
        },
        { name: 'c', type: 'webhook', config: { url: 'https://user:sekrit@example.com/', hmac_secret: 'sekrit' } },
        {
          name: 'd',
          type: 'email',
          config: { to: ['a@b.io'], from: 'c@d.io', host: 'smtp', username: 'u', password: 'sekrit' },
        },
      ],
    });
    expect(issues.map((i) => i.path).sort()).toEqual([
      'contact_points.0.config.url',
      'contact_points.1.config.token',
      'contact_points.2.config.hmac_secret',
      'contact_points.2.config.url',
      'contact_points.3.config.password',
    ]);
    for (const i of issues) {
      expect(i.message).toMatch(/is a secret and must not be written inline/);
      expect(i.message).toContain(i.path.split('.').pop());
      expect(i.message).not.toContain('sekrit');
    }
  });

  it('names the bad field for wrong types, bad recipients and duplicated names', () => {
    expect(contactPointSchema.safeParse({ name: 'x', type: 'teams', config: {} }).success).toBe(false);
    const issues = issuesOf({
      contact_points: [
        { name: 'm', type: 'email', config: { to: ['not-an-address'], from: 'c@d.io', host: 'smtp' } },
        { name: 'm', type: 'webhook', config: { url: 'ftp://example.com' } },
      ],
    });
    expect(issues).toEqual([
      { path: 'contact_points.0.config.to.0', message: 'expected an email address like ops@example.com' },
      { path: 'contact_points.1.config.url', message: 'url: expected an http(s) URL or env:NAME' },
      { path: 'contact_points.1.name', message: 'contact point m is declared twice (first at index 0)' },
    ]);
  });
});

describe('a contact points file on its own (fleetbook notify test)', () => {
  it("reports an unknown key at its line with the field it is likely a typo of, in the full check's words", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-contact-points-'));
    try {
      const file = path.join(dir, 'contact-points.yaml');
      fs.writeFileSync(
        file,
        [
          'contact_points:',
          '  - name: ops-hook',
          '    type: webhook',
          '    config:',
          '      url: env:HOOK_URL',
          '      timeuot_ms: 2000',
          '      hmac_secret: plain-text-key',
          '',
        ].join('\n'),
      );
      expect(readContactPointsFile(file, 'contact-points.yaml')).toEqual({
        ok: false,
        problems: [
          'contact-points.yaml:6:7  Unexpected field "timeuot_ms" in contact_points[0].config, expected only the fields of the contract (did you mean "timeout_ms"?)  notifications/unknown-field',
          'contact-points.yaml:7:7  contact_points[0].config.hmac_secret is a secret and must not be written inline: give a reference env:NAME to the variable that holds it  notifications/inline-secret',
        ],
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
