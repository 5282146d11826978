export * from './config';
export * from './environment';
export * from './errors';
export * from './rate-limit/memory-limiter';
export * from './rate-limit/rate-limiter';
export * from './rate-limit/redis-limiter';
export * from './settings';
