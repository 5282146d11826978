import { startTestSmtpServer, type TestSmtpServer } from '@switchyard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InjectClient, signUpInjected } from '../testing/inject-client';
import { startTestServer, type TestServer } from '../testing/test-server';

/** Invitations by email: the mailed link, accept and decline, expiry by the server's clock, revocation. */

let server: TestServer;
let smtp: TestSmtpServer;
let owner: InjectClient;
let projectId: string;
let now = Date.UTC(2026, 5, 1, 9);
const hour = 3_600_000;

const tokenIn = (text: string) => /\/invitations\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
const seenTokens = new Set<string>();

/** Invites and reads the token from the mail this invitation sent (not an earlier one to the address). */
async function invite(email: string, role = 'member') {
  const created = await owner.request('POST', `/v1/projects/${projectId}/invitations`, { email, role });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const mail = await smtp.waitForMail((candidate) => {
    const token = tokenIn(candidate.text);
    return candidate.to.includes(email) && token !== undefined && !seenTokens.has(token);
  });
  const token = tokenIn(mail.text) as string;
  seenTokens.add(token);
  return { invitation: created.body, token, mail };
}

beforeAll(async () => {
  smtp = await startTestSmtpServer();
  server = await startTestServer({
    variables: { SMTP_URL: smtp.url, SMTP_FROM: 'Switchyard <accounts@switchyard.test>' },
    config: { ollama: { autodetect: false }, auth: { projectInvitationTtlHours: 48 } },
    projectsClock: () => new Date(now),
  });
  owner = await signUpInjected(server.app, server.url, 'owner');
  const project = await owner.request('POST', '/v1/projects', { name: 'Launch' });
  projectId = project.body.id;
}, 150_000);

afterAll(async () => {
  await server?.destroy();
  await smtp?.close();
});

describe('project invitations', () => {
  it('mails a link; the invited address accepts it and joins with the role; the link then is closed', async () => {
    const email = `dana.${Date.now()}@example.com`;
    const { token, mail, invitation } = await invite(email, 'viewer');
    expect(mail.subject).toContain('Launch');
    expect(invitation.state).toBe('pending');
    expect(JSON.stringify(invitation)).not.toContain(token);

    const preview = await owner.get(`/v1/invitations/${token}`);
    expect(preview.body).toMatchObject({ projectName: 'Launch', role: 'viewer', state: 'pending', email });

    // Someone else signed in cannot take it.
    const stranger = await signUpInjected(server.app, server.url, 'stranger');
    const refused = await stranger.request('POST', `/v1/invitations/${token}/accept`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SY_ERR_INVITATION_EMAIL_MISMATCH');

    const dana = await signUpInjected(server.app, server.url, 'dana', email);
    expect((await dana.get('/v1/invitations')).body.invitations).toHaveLength(1);
    const accepted = await dana.request('POST', `/v1/invitations/${token}/accept`);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.project).toMatchObject({ id: projectId, role: 'viewer' });
    const again = await dana.request('POST', `/v1/invitations/${token}/accept`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('SY_ERR_INVITATION_CLOSED');
    const projects = (await dana.get('/v1/projects')).body.projects;
    expect(projects.map((project: { id: string; role: string }) => [project.id, project.role])).toEqual([
      [projectId, 'viewer'],
    ]);
    // Inviting a member again is refused.
    expect((await owner.request('POST', `/v1/projects/${projectId}/invitations`, { email })).status).toBe(409);
  });

  it('expires by the clock: 410 after the TTL, and a new invitation to the address is possible then', async () => {
    const email = `eve.${Date.now()}@example.com`;
    const { token } = await invite(email);
    const eve = await signUpInjected(server.app, server.url, 'eve', email);
    now += 47 * hour;
    expect((await eve.get(`/v1/invitations/${token}`)).body.state).toBe('pending');
    now += 2 * hour;
    expect((await eve.get(`/v1/invitations/${token}`)).body.state).toBe('expired');
    const late = await eve.request('POST', `/v1/invitations/${token}/accept`);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('SY_ERR_INVITATION_EXPIRED');
    const listed = await owner.get(`/v1/projects/${projectId}/invitations`);
    expect(listed.body.invitations.find((row: { email: string }) => row.email === email).state).toBe('expired');

    const fresh = await invite(email);
    expect((await eve.request('POST', `/v1/invitations/${fresh.token}/accept`)).status).toBe(200);
  });

  it('revoked and declined invitations stop working; another project admin cannot revoke by a foreign id', async () => {
    const revokedEmail = `rita.${Date.now()}@example.com`;
    const revoked = await invite(revokedEmail);
    const other = await owner.request('POST', '/v1/projects', { name: 'Other' });
    expect(
      (await owner.request('DELETE', `/v1/projects/${other.body.id}/invitations/${revoked.invitation.id}`)).status,
    ).toBe(404);
    const revocation = await owner.request('DELETE', `/v1/projects/${projectId}/invitations/${revoked.invitation.id}`);
    expect(revocation.status).toBe(200);
    expect(revocation.body.state).toBe('revoked');
    const rita = await signUpInjected(server.app, server.url, 'rita', revokedEmail);
    expect((await rita.request('POST', `/v1/invitations/${revoked.token}/accept`)).status).toBe(409);

    const declinedEmail = `dan.${Date.now()}@example.com`;
    const declined = await invite(declinedEmail);
    const anonymous = await owner.request('POST', `/v1/invitations/${declined.token}/decline`);
    expect(anonymous.status).toBe(200);
    expect((await owner.get(`/v1/invitations/${declined.token}`)).body.state).toBe('declined');
    expect((await owner.get('/v1/invitations/not-a-real-token-at-all')).status).toBe(404);

    const members = (await owner.get(`/v1/projects/${projectId}/members`)).body.members;
    expect(members.map((member: { email: string }) => member.email)).not.toContain(revokedEmail);
  });
});
