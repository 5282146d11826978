export * from './bullmq/bullmq-job-queue';
export * from './catalog';
export * from './embedded/embedded-job-queue';
export * from './failure';
export * from './idempotency';
export * from './job-queue';
