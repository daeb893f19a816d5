/** RTSP URLs for Hikvision streams. */

export interface RtspUrlParts {
  host: string;
  port: number;
  streamId: string;
  credentials?: { username: string; password: string } | undefined;
}

/**
 * `rtsp://user:pass@host:port/Streaming/Channels/{id}`. Credentials are percent-encoded:
 * a password with `@`, `:` or `#` in it is the classic cause of RTSP 401s.
 */
export function buildRtspUrl({ host, port, streamId, credentials }: RtspUrlParts): string {
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const auth = credentials
    ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
    : '';
  return `rtsp://${auth}${hostPart}:${port}/Streaming/Channels/${streamId}`;
}

/** The URL with the password masked, for logs and API output. */
export function redactRtspUrl(url: string): string {
  return url.replace(/^(rtsp:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
