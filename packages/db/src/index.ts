export * from './chat-messages-repository';
export * from './client';
export * from './errors';
export * from './keys-repository';
export * from './schema';
export * from './settings-repository';
export * from './usage-repository';
