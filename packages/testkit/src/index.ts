export * from './amqp';
export * from './apps/shop-app';
export * from './audio/wav';
export * from './clock';
export * from './contracts/image-quota-contract';
export * from './contracts/key-pool-contract';
export * from './contracts/marketplace-contract';
export * from './contracts/provider-contract';
export * from './contracts/rate-limiter-contract';
export * from './contracts/response-cache-contract';
export * from './contracts/session-log-contract';
export * from './contracts/web-search-contract';
export * from './database/accounts-contract';
export * from './database/database-contract';
export * from './database/postgres';
export * from './error-of';
export * from './eventually';
export * from './fakes/anthropic-server';
export * from './fakes/audio-forms';
export * from './fakes/brightdata-server';
export * from './fakes/comfyui-server';
export type {
  FakeBehaviour,
  FakeServerOptions,
  FakeStreamOptions,
  FakeUpstreamServer,
  RecordedRequest,
} from './fakes/fake-http-server';
export * from './fakes/gemini-server';
export * from './fakes/http-proxy';
export * from './fakes/marketplace-servers';
export * from './fakes/ollama-server';
export * from './fakes/openai-audio-server';
export * from './fakes/openai-server';
export * from './fakes/tcp-proxy';
export * from './fakes/vault-server';
export * from './fakes/web-search-servers';
export * from './fakes/whatsapp-graph-server';
export * from './fakes/whisper-cpp-server';
export * from './jobs/contract-catalog';
export * from './jobs/idempotency-contract';
export * from './jobs/job-queue-contract';
export * from './mcp';
export * from './provider-test-helpers';
export * from './redis';
export * from './server-mode';
export * from './smtp';
export * from './storage/object-store-contract';
export * from './storage/s3-server';
