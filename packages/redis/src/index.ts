export * from './redis-budget-meter';
export * from './redis-change-counter';
export * from './redis-image-quota';
export * from './redis-key-pool-store';
export * from './redis-rate-limiter';
export * from './redis-response-cache';
export * from './redis-session-log';
