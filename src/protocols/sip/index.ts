export * from './digest.ts';
export * from './headers.ts';
export * from './message.ts';
export * from './sdp.ts';
export * from './types.ts';
