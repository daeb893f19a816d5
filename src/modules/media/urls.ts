/** Viewer-facing URLs of a path on MediaMTX's ports, with a viewer token where the protocol allows. */

export interface MediaPorts {
  rtspPort: number;
  webrtcPort: number;
  hlsPort: number;
}

export interface StreamUrls {
  /** MediaMTX's WebRTC player page (open it in a browser or an iframe). */
  webrtc: string;
  /** WHEP endpoint for WebRTC players. */
  whep: string;
  /** HLS playlist (Safari, hls.js, most players). */
  hls: string;
  /** RTSP for VLC, ffmpeg, NVR software. */
  rtsp: string;
}

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function streamUrls(host: string, ports: MediaPorts, path: string, token: string): StreamUrls {
  const h = hostPart(host);
  const query = `?token=${encodeURIComponent(token)}`;
  return {
    webrtc: `http://${h}:${ports.webrtcPort}/${path}/${query}`,
    whep: `http://${h}:${ports.webrtcPort}/${path}/whep${query}`,
    hls: `http://${h}:${ports.hlsPort}/${path}/index.m3u8${query}`,
    // RTSP players have no query for credentials: the token is the password of user "viewer".
    rtsp: `rtsp://viewer:${encodeURIComponent(token)}@${h}:${ports.rtspPort}/${path}`,
  };
}

/** Browsers decode H.264 over WebRTC everywhere; H.265 only in some (Safari, recent Chrome with hardware). */
export function browserPlayable(codec: string | null): boolean {
  return codec === null || /^(h\.?264|avc)/i.test(codec);
}
