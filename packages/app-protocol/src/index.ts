export * from './manifest';
export * from './signature';
export * from './skill-events';
