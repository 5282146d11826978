export * from './contracts/key-pool-contract';
export * from './contracts/provider-contract';
export * from './contracts/rate-limiter-contract';
export * from './database/database-contract';
export * from './database/postgres';
export * from './fakes/anthropic-server';
export type {
  FakeBehaviour,
  FakeServerOptions,
  FakeStreamOptions,
  FakeUpstreamServer,
  RecordedRequest,
} from './fakes/fake-http-server';
export * from './fakes/gemini-server';
export * from './fakes/http-proxy';
export * from './fakes/ollama-server';
export * from './fakes/openai-server';
export * from './redis';
export * from './storage/object-store-contract';
export * from './storage/s3-server';
