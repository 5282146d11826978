import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

function directoryWith(yaml?: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-accounts-config-'));
  if (yaml !== undefined) writeFileSync(join(directory, 'switchyard.config.yaml'), yaml);
  return directory;
}

describe('account configuration', () => {
  it('defaults to no public URL, no secret, no SMTP, sign-up open and no OAuth', () => {
    const config = loadConfig({}, directoryWith());
    expect(config.publicUrl).toBeNull();
    expect(config.authSecret).toBeNull();
    expect(config.smtp).toBeNull();
    expect(config.accounts).toEqual({
      allowSignUp: true,
      firstUserAdmin: true,
      projectInvitationTtlHours: 168,
      maxOwnedProjects: 100,
      trustedOrigins: [],
      github: null,
      google: null,
    });
  });

  it('reads OAuth clients, trusted origins and SMTP from the file, secrets interpolated', () => {
    const directory = directoryWith(`
server: { publicUrl: "https://ai.example.com/" }
auth:
  allowSignUp: false
  firstUserAdmin: false
  projectInvitationTtlHours: 48
  trustedOrigins: ["https://app.example.com"]
  github: { clientId: gh-id, clientSecret: "\${GITHUB_SECRET}" }
smtp: { host: mail.example.com, user: sy, password: "\${SMTP_PASSWORD}", from: "Sy <sy@example.com>" }
`);
    const config = loadConfig({ GITHUB_SECRET: 'gh-secret', SMTP_PASSWORD: 'p@ss' }, directory);
    expect(config.publicUrl).toBe('https://ai.example.com');
    expect(config.accounts).toEqual({
      allowSignUp: false,
      firstUserAdmin: false,
      projectInvitationTtlHours: 48,
      maxOwnedProjects: 100,
      trustedOrigins: ['https://app.example.com'],
      github: { clientId: 'gh-id', clientSecret: 'gh-secret' },
      google: null,
    });
    expect(config.smtp).toEqual({
      host: 'mail.example.com',
      port: 587,
      secure: false,
      user: 'sy',
      password: 'p@ss',
      from: 'Sy <sy@example.com>',
    });
  });

  it('lets PUBLIC_URL and SMTP_URL win over the file', () => {
    const directory = directoryWith('server: { publicUrl: "https://file.example.com" }\nsmtp: { host: file-mail }\n');
    const config = loadConfig(
      {
        PUBLIC_URL: 'http://localhost:8080',
        SMTP_URL: 'smtps://mailer:s%3Acret@mail.example.com',
        SMTP_FROM: 'noreply@example.com',
      },
      directory,
    );
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.smtp).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      user: 'mailer',
      password: 's:cret',
      from: 'noreply@example.com',
    });
  });

  it.each([
    [{ PUBLIC_URL: 'ai.example.com' }, /PUBLIC_URL is not a URL/],
    [{ PUBLIC_URL: 'https://ai.example.com/switchyard' }, /without a path/],
    [{ PUBLIC_URL: 'ftp://ai.example.com' }, /http\(s\) origin/],
    [{ AUTH_SECRET: 'too-short' }, /at least 32 characters/],
    [{ SMTP_URL: 'http://mail.example.com' }, /smtp:\/\/ or smtps:\/\//],
  ])('refuses %j', (variables, message) => {
    expect(() => loadConfig(variables, directoryWith())).toThrow(message);
  });

  it('refuses an OAuth client without its secret', () => {
    expect(() => loadConfig({}, directoryWith('auth: { google: { clientId: only-id } }\n'))).toThrow(/clientSecret/);
  });
});
