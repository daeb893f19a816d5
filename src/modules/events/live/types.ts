import type { Config } from '../../../core/config/index.ts';

/** Limits of the live event stream (`events.stream` in the configuration). */
export type StreamSettings = Config['events']['stream'];
