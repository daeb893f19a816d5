export * from './backchannel.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './message.ts';
export * from './rtp.ts';
export * from './sdp.ts';
