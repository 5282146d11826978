// Apart from better-auth.ts so that using them does not load better-auth: the account service imports
// better-auth (~0.9 MB of code with kysely and zod) on its first account request, not at every start.

/** Our hook puts the client IP Fastify resolved (honouring trustProxy) here; clients cannot set it. */
export const clientIpHeader = 'x-switchyard-client-ip';
export const cookiePrefix = 'switchyard';
export const authBasePath = '/api/auth';
/** Where a password-reset link lands when the client named no page: the web app's reset form. */
export const defaultResetPage = '/reset-password';
