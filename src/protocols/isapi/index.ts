export * from './client.ts';
export * from './discovery.ts';
export * from './errors.ts';
export * from './rtsp.ts';
export * from './snapshot.ts';
export * from './status.ts';
export * from './two-way-audio.ts';
export * from './xml.ts';
