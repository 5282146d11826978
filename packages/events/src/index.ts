export * from './catalog';
export * from './create-event-bus';
export * from './embedded/embedded-transport';
export * from './event-bus';
export * from './rabbitmq/rabbitmq-transport';
export * from './redis/redis-streams-transport';
export * from './transport';
