/**
 * The UI page's Content-Security-Policy: scripts and styles only from the gateway itself (no
 * inline code at all), pictures from the gateway and blob/data URLs (snapshots), and network
 * connections to the gateway and to MediaMTX's WebRTC and HLS ports on the same host name (the
 * player talks to MediaMTX directly; its ports are settings, hence any port of this host only).
 */
export function uiContentSecurityPolicy(hostname: string): string {
  const host = safeHost(hostname);
  const mediaOrigins = host ? ` http://${host}:* https://${host}:*` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `media-src 'self' blob:${mediaOrigins}`,
    `connect-src 'self'${mediaOrigins}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The request's host name without its port, when it is a plain name or address (else none). */
function safeHost(hostname: string): string | undefined {
  const name = hostname.startsWith('[')
    ? hostname.slice(0, hostname.indexOf(']') + 1)
    : hostname.split(':')[0];
  return name && /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})$/.test(name) ? name : undefined;
}
