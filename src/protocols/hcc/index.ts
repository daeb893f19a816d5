export { HccClient, type HccClientOptions } from './client.ts';
export { type Clock, realClock } from './clock.ts';
export { HccError, type HccErrorKind } from './errors.ts';
export type { HccCamera, HccDevice, LiveAddress, LiveAddressRequest } from './types.ts';
