// BullMQ and ioredis (~2.6 MB of code) load only in a process configured with Redis: this entry point is
// imported dynamically where the queue and the schedule ticker are chosen, never from the main index.
export * from './bullmq/bullmq-job-queue';
export * from './schedules/bullmq-schedule-ticker';
