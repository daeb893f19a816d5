/**
 * The local RTP ports a call offers: audio (where the peer's G.711 arrives; packets are only
 * counted) and video (offered recvonly, as captured; nothing is expected on it).
 */
import { createSocket, type Socket } from 'node:dgram';

export interface RtpPorts {
  readonly audioPort: number;
  readonly videoPort: number;
  /** Datagrams and bytes that reached the audio port. */
  readonly received: { packets: number; bytes: number };
  close(): void;
}

function bindFree(host: string): Promise<Socket> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(0, host, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

export async function openRtpPorts(host: string): Promise<RtpPorts> {
  const audio = await bindFree(host);
  const video = await bindFree(host).catch((error) => {
    audio.close();
    throw error;
  });
  const received = { packets: 0, bytes: 0 };
  audio.on('message', (data) => {
    received.packets += 1;
    received.bytes += data.length;
  });
  video.on('message', () => undefined);
  let closed = false;
  return {
    audioPort: audio.address().port,
    videoPort: video.address().port,
    received,
    close() {
      if (closed) return;
      closed = true;
      audio.close();
      video.close();
    },
  };
}
