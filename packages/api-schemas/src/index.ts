/**
 * @switchyard/api-schemas: every request and response shape of Switchyard's HTTP API, once, as
 * TypeBox schemas with their `Static` types. The server registers these schemas on its routes (so
 * validation and the OpenAPI document use them), packages/providers derives its chat request from
 * them, and the web app imports the types (`import type`, so no schema code reaches the bundle).
 */
export * from './accounts';
export * from './admin';
export * from './anthropic';
export * from './apps';
export * from './audio';
export * from './chat';
export * from './common';
export * from './conversations';
export * from './events';
export * from './gift-finder';
export * from './images';
export * from './keys';
export * from './messaging';
export * from './notifications';
export * from './ollama';
export * from './plans';
export * from './projects';
export * from './responses';
export * from './schedules';
export * from './searches';
export * from './skill-calls';
