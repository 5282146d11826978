import Type, { type Static } from 'typebox';
import { pageFields, pageQueryFields, searchQueryField } from './common';

/** Projects (/v1/projects): shared workspaces with members in roles, and invitations by email. */

export const ProjectRoleSchema = Type.Union(
  [Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member'), Type.Literal('viewer')],
  {
    description:
      'viewer reads; member also creates and edits their own; admin edits all and manages members; owner also deletes and transfers',
  },
);
export const InvitableRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member'), Type.Literal('viewer')]);

const name = Type.String({ minLength: 1, maxLength: 100 });
const description = Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]);
const email = Type.String({ minLength: 3, maxLength: 320, description: 'An email address' });

export const CreateProjectRequest = Type.Object(
  { name, description: Type.Optional(description) },
  { additionalProperties: false },
);
export type CreateProjectRequest = Static<typeof CreateProjectRequest>;

export const UpdateProjectRequest = Type.Object(
  { name: Type.Optional(name), description: Type.Optional(description) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProjectRequest = Static<typeof UpdateProjectRequest>;

/** A project as a member sees it, with their own role. */
export const Project = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  ownerId: Type.String(),
  role: ProjectRoleSchema,
  memberCount: Type.Optional(Type.Integer()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type Project = Static<typeof Project>;

export const ProjectList = Type.Object({ projects: Type.Array(Project) });

export const ProjectMember = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: ProjectRoleSchema,
  createdAt: Type.String(),
});
export const ProjectMemberList = Type.Object({ members: Type.Array(ProjectMember) });

export const AddMemberRequest = Type.Object(
  { email, role: Type.Optional(InvitableRoleSchema) },
  { additionalProperties: false },
);
export type AddMemberRequest = Static<typeof AddMemberRequest>;

export const ChangeMemberRequest = Type.Object({ role: InvitableRoleSchema }, { additionalProperties: false });
export type ChangeMemberRequest = Static<typeof ChangeMemberRequest>;

export const TransferOwnershipRequest = Type.Object(
  { userId: Type.String({ minLength: 1, maxLength: 100, description: 'A member of the project' }) },
  { additionalProperties: false },
);
export type TransferOwnershipRequest = Static<typeof TransferOwnershipRequest>;

export const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 100 }) });
export const MemberParams = Type.Object({
  projectId: Type.String({ minLength: 1, maxLength: 100 }),
  userId: Type.String({ minLength: 1, maxLength: 100 }),
});
export const InvitationParams = Type.Object({
  projectId: Type.String({ minLength: 1, maxLength: 100 }),
  invitationId: Type.String({ minLength: 1, maxLength: 100 }),
});
export const InvitationTokenParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 200 }) });

export const InvitationState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('accepted'),
  Type.Literal('declined'),
  Type.Literal('revoked'),
  Type.Literal('expired'),
]);

export const CreateInvitationRequest = Type.Object(
  { email, role: Type.Optional(InvitableRoleSchema) },
  { additionalProperties: false },
);
export type CreateInvitationRequest = Static<typeof CreateInvitationRequest>;

/** An invitation as the project's admins see it (never its token: only the emailed link holds that). */
export const ProjectInvitation = Type.Object({
  id: Type.String(),
  projectId: Type.String(),
  email: Type.String(),
  role: InvitableRoleSchema,
  state: InvitationState,
  invitedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  expiresAt: Type.String(),
  closedAt: Type.Union([Type.String(), Type.Null()]),
});
export const ProjectInvitationList = Type.Object({ invitations: Type.Array(ProjectInvitation) });

export const InvitationListQuery = Type.Object({
  include_closed: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
});

/** What an invitation link shows before it is accepted or declined. */
export const InvitationPreview = Type.Object({
  projectId: Type.String(),
  projectName: Type.String(),
  inviterName: Type.Union([Type.String(), Type.Null()]),
  email: Type.String(),
  role: InvitableRoleSchema,
  state: InvitationState,
  expiresAt: Type.String(),
});
export const InvitationPreviewList = Type.Object({ invitations: Type.Array(InvitationPreview) });

export const InvitationAnswer = Type.Object({ state: InvitationState, project: Type.Optional(Project) });

// Admin console

export const AdminProject = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  ownerId: Type.String(),
  ownerName: Type.String(),
  ownerEmail: Type.String(),
  memberCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const AdminProjectList = Type.Object({
  projects: Type.Array(AdminProject),
  total: Type.Integer(),
  ...pageFields,
});
export const AdminProjectQuery = Type.Object({ ...pageQueryFields(), ...searchQueryField });
export const AdminProjectDetail = Type.Object({
  project: Type.Object({
    id: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    ownerId: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  }),
  members: Type.Array(ProjectMember),
  invitations: Type.Array(ProjectInvitation),
});
