/**
 * One JPEG from a live stream, read through MediaMTX with ffmpeg: the last snapshot fallback
 * when the device's own picture endpoints fail (some NVR channels, some firmware).
 */
import { spawn } from 'node:child_process';
import { DeviceOperationError } from '../../core/errors.ts';

const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export async function grabFrame(ffmpeg: string, rtspUrl: string, timeoutMs: number): Promise<Buffer> {
  const args = ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', rtspUrl];
  args.push('-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1');
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FRAME_BYTES) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new DeviceOperationError(
          'frame_grab_failed',
          `cannot run ffmpeg ("${ffmpeg}") for a snapshot from the stream: ${error.message}. Install ffmpeg.`,
        ),
      );
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const frame = Buffer.concat(chunks);
      if (code === 0 && frame.length > 0) return resolve(frame);
      const reason = stderr.trim().split('\n').pop() || (code === null ? 'timed out' : `exit code ${code}`);
      // The URL carries the internal credential: never repeat it.
      reject(
        new DeviceOperationError(
          'frame_grab_failed',
          `no frame from the live stream: ${reason.replace(/rtsp:\/\/\S+/g, 'the stream')}`,
        ),
      );
    });
  });
}
