export * from './api.ts';
export * from './config.ts';
