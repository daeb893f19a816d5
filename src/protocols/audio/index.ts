/** G.711 for two-way audio: codec names, the bounded queue and the real-time pacer. */
export * from './g711.ts';
