export * from './create-object-store';
export * from './disk-store';
export * from './object-key';
export * from './object-store';
export * from './put-options';
