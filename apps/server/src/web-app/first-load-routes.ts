/**
 * The API routes the web app's chat page calls on its first load (apps/web/src/boot.ts and the page's
 * first render): the server compiles their validators and serializers right after it listens, so the
 * first visitor after a start does not wait for them (the other routes still compile on first use).
 */
export const firstLoadRoutes: readonly string[] = [
  'GET /api/me',
  'GET /api/chats',
  'GET /api/chats/:id/messages',
  'GET /v1/projects',
  'GET /api/notifications',
  'GET /api/chats/folders',
  'GET /v1/models',
  'GET /v1/chat/models',
  'GET /api/apps',
  'GET /api/files/limits',
];
