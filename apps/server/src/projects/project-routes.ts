import {
  AddMemberRequest,
  ChangeMemberRequest,
  CreateInvitationRequest,
  CreateProjectRequest,
  ErrorResponse,
  InvitationAnswer,
  InvitationListQuery,
  InvitationParams,
  InvitationPreview,
  InvitationPreviewList,
  InvitationTokenParams,
  MemberParams,
  Project,
  ProjectInvitation,
  ProjectInvitationList,
  ProjectList,
  ProjectMemberList,
  ProjectParams,
  TransferOwnershipRequest,
  UpdateProjectRequest,
} from '@switchyard/api-schemas';
import type { Db } from '@switchyard/db';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf } from '../edge/owner';
import type { RouteBehaviour } from '../edge/principal';
import type { ProjectService } from './project-service';

const tags = ['Projects'];
const session: RouteBehaviour = { auth: 'session', usage: false };
const open: RouteBehaviour = { auth: 'none', usage: false };
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
const config = { behaviour: session };

type ProjectId = { Params: Static<typeof ProjectParams> };

/** Projects of the signed-in user: CRUD, members, invitations, ownership; and invitation links. */
export function registerProjectRoutes(app: FastifyInstance, projects: ProjectService, controlDb: Db): void {
  const actor = (request: Parameters<typeof actorOf>[1]) => actorOf(controlDb, request);

  app.post<{ Body: Static<typeof CreateProjectRequest> }>(
    '/v1/projects',
    {
      config,
      schema: {
        tags,
        summary: 'Create a project; you are its owner',
        body: CreateProjectRequest,
        response: { 201: Project, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await projects.create(actor(request), request.body)),
  );

  app.get(
    '/v1/projects',
    { config, schema: { tags, summary: 'The projects you are a member of, by name', response: { 200: ProjectList } } },
    async (request) => ({ projects: await projects.listMine(actor(request)) }),
  );

  app.get<ProjectId>(
    '/v1/projects/:projectId',
    {
      config,
      schema: {
        tags,
        summary: 'One of your projects, with your role',
        params: ProjectParams,
        response: { 200: Project, ...errors },
      },
    },
    async (request) => projects.get(actor(request), request.params.projectId),
  );

  app.patch<ProjectId & { Body: Static<typeof UpdateProjectRequest> }>(
    '/v1/projects/:projectId',
    {
      config,
      schema: {
        tags,
        summary: 'Rename a project or change its description (admin or owner)',
        params: ProjectParams,
        body: UpdateProjectRequest,
        response: { 200: Project, ...errors },
      },
    },
    async (request) => projects.update(actor(request), request.params.projectId, request.body),
  );

  app.delete<ProjectId>(
    '/v1/projects/:projectId',
    {
      config,
      schema: {
        tags,
        summary: 'Delete a project with everything shared in it; its keys are revoked (owner only)',
        params: ProjectParams,
        response: errors,
      },
    },
    async (request, reply) => {
      await projects.delete(actor(request), request.params.projectId);
      return reply.code(204).send();
    },
  );

  app.post<ProjectId & { Body: Static<typeof TransferOwnershipRequest> }>(
    '/v1/projects/:projectId/transfer',
    {
      config,
      schema: {
        tags,
        summary: 'Hand ownership to another member; you stay as an admin (owner only)',
        params: ProjectParams,
        body: TransferOwnershipRequest,
        response: { 200: ProjectMemberList, ...errors },
      },
    },
    async (request) => ({
      members: await projects.transfer(actor(request), request.params.projectId, request.body.userId),
    }),
  );

  app.get<ProjectId>(
    '/v1/projects/:projectId/members',
    {
      config,
      schema: {
        tags,
        summary: "A project's members, owner first",
        params: ProjectParams,
        response: { 200: ProjectMemberList, ...errors },
      },
    },
    async (request) => ({ members: await projects.listMembers(actor(request), request.params.projectId) }),
  );

  app.post<ProjectId & { Body: Static<typeof AddMemberRequest> }>(
    '/v1/projects/:projectId/members',
    {
      config,
      schema: {
        tags,
        summary: 'Add a user who has an account, by email (admin or owner); others need an invitation',
        params: ProjectParams,
        body: AddMemberRequest,
        response: { 201: ProjectMemberList, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send({
        members: await projects.addMember(actor(request), request.params.projectId, {
          email: request.body.email,
          role: request.body.role ?? 'member',
        }),
      }),
  );

  app.patch<{ Params: Static<typeof MemberParams>; Body: Static<typeof ChangeMemberRequest> }>(
    '/v1/projects/:projectId/members/:userId',
    {
      config,
      schema: {
        tags,
        summary: "Change a member's role (admin or owner; the owner's changes only by a transfer)",
        params: MemberParams,
        body: ChangeMemberRequest,
        response: { 200: ProjectMemberList, ...errors },
      },
    },
    async (request) => ({
      members: await projects.setMemberRole(
        actor(request),
        request.params.projectId,
        request.params.userId,
        request.body.role,
      ),
    }),
  );

  app.delete<{ Params: Static<typeof MemberParams> }>(
    '/v1/projects/:projectId/members/:userId',
    {
      config,
      schema: {
        tags,
        summary: 'Remove a member (admin or owner), or leave (your own id); their keys in the project are revoked',
        params: MemberParams,
        response: errors,
      },
    },
    async (request, reply) => {
      await projects.removeMember(actor(request), request.params.projectId, request.params.userId);
      return reply.code(204).send();
    },
  );

  app.post<ProjectId & { Body: Static<typeof CreateInvitationRequest> }>(
    '/v1/projects/:projectId/invitations',
    {
      config,
      schema: {
        tags,
        summary: 'Invite someone by email (admin or owner); the mail holds a link that expires',
        params: ProjectParams,
        body: CreateInvitationRequest,
        response: { 201: ProjectInvitation, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(
        await projects.invite(actor(request), request.params.projectId, {
          email: request.body.email,
          role: request.body.role ?? 'member',
        }),
      ),
  );

  app.get<ProjectId & { Querystring: Static<typeof InvitationListQuery> }>(
    '/v1/projects/:projectId/invitations',
    {
      config,
      schema: {
        tags,
        summary:
          "A project's open invitations (expired ones say so); ?include_closed=true adds the answered and revoked",
        params: ProjectParams,
        querystring: InvitationListQuery,
        response: { 200: ProjectInvitationList, ...errors },
      },
    },
    async (request) => ({
      invitations: await projects.listInvitations(
        actor(request),
        request.params.projectId,
        request.query.include_closed === 'true',
      ),
    }),
  );

  app.delete<{ Params: Static<typeof InvitationParams> }>(
    '/v1/projects/:projectId/invitations/:invitationId',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke an open invitation (admin or owner): its link stops working',
        params: InvitationParams,
        response: { 200: ProjectInvitation, ...errors },
      },
    },
    async (request) => projects.revokeInvitation(actor(request), request.params.projectId, request.params.invitationId),
  );

  app.get(
    '/v1/invitations',
    {
      config,
      schema: {
        tags,
        summary: 'Open invitations to your email address',
        response: { 200: InvitationPreviewList, ...errors },
      },
    },
    async (request) => ({ invitations: await projects.myInvitations(actor(request)) }),
  );

  app.get<{ Params: Static<typeof InvitationTokenParams> }>(
    '/v1/invitations/:token',
    {
      config: { behaviour: open },
      schema: {
        tags,
        summary: 'What an invitation link is for (the token is the secret): project, role, state, expiry',
        params: InvitationTokenParams,
        response: { 200: InvitationPreview, ...errors },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return projects.preview(request.params.token);
    },
  );

  app.post<{ Params: Static<typeof InvitationTokenParams> }>(
    '/v1/invitations/:token/accept',
    {
      config,
      schema: {
        tags,
        summary: 'Accept an invitation: signed in with the invited email, you join with its role',
        params: InvitationTokenParams,
        response: { 200: InvitationAnswer, ...errors, 410: ErrorResponse },
      },
    },
    async (request) => ({
      state: 'accepted' as const,
      project: await projects.accept(actor(request), request.params.token),
    }),
  );

  app.post<{ Params: Static<typeof InvitationTokenParams> }>(
    '/v1/invitations/:token/decline',
    {
      config: { behaviour: open },
      schema: {
        tags,
        summary: 'Decline an invitation (the link is enough, no account needed)',
        params: InvitationTokenParams,
        response: { 200: InvitationAnswer, ...errors, 410: ErrorResponse },
      },
    },
    async (request) => {
      await projects.decline(request.params.token);
      return { state: 'declined' as const };
    },
  );
}
