export * from './environment';
export * from './errors';
export * from './settings';
