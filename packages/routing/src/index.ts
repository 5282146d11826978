export * from './model-registry';
export * from './observer';
export * from './router';
