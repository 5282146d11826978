import Type, { type Static } from 'typebox';
import { pageQueryFields, searchQueryField, userPage } from './common';

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
export type Role = Static<typeof RoleSchema>;

/** GET /api/me: the signed-in user, with the role in force now. */
export const Me = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), role: RoleSchema });
export type Me = Static<typeof Me>;

export const PublicUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  emailVerified: Type.Boolean(),
  createdAt: Type.String(),
});
export type PublicUser = Static<typeof PublicUser>;

export const UserList = Type.Object({ users: Type.Array(PublicUser) });
export type UserList = Static<typeof UserList>;

export const UserListQuery = Type.Object({ ...pageQueryFields(userPage), ...searchQueryField });

export const RoleRequest = Type.Object({ role: RoleSchema }, { additionalProperties: false });
export type RoleRequest = Static<typeof RoleRequest>;

/** GET /api/auth-config: how users can sign in here. */
export const AuthConfig = Type.Object({
  emailAndPassword: Type.Object({ signUp: Type.Boolean(), passwordReset: Type.String() }),
  socialProviders: Type.Array(Type.String()),
  /** True while there is no admin and `auth.firstUserAdmin` is on: the next account becomes admin. */
  firstAccountBecomesAdmin: Type.Boolean(),
});
export type AuthConfig = Static<typeof AuthConfig>;
