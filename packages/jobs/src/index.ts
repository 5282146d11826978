export * from './catalog';
export * from './embedded/embedded-job-queue';
export { checkEnqueue } from './enqueue-checks';
export * from './failure';
export * from './idempotency';
export * from './job-queue';
export * from './schedules/embedded-schedule-ticker';
export * from './schedules/schedule-ticker';
export * from './schedules/schedule-timing';
