export * from './contracts/rate-limiter-contract';
export * from './database/database-contract';
export * from './database/postgres';
export type {
  FakeBehaviour,
  FakeServerOptions,
  FakeStreamOptions,
  FakeUpstreamServer,
  RecordedRequest,
} from './fakes/fake-http-server';
export * from './fakes/ollama-server';
export * from './fakes/openai-server';
export * from './redis';
