export * from './errors.ts';
export { checkFfmpeg, ffmpegArgs } from './ffmpeg.ts';
export * from './module.ts';
