/** Configuration sections. Live video (MediaMTX) and two-way audio. */
import { z } from 'zod';
import { configFieldMeta, secret, section, wholeNumber } from '../schema-parts.ts';

export const mediaSection = section({
  enabled: z
    .boolean()
    .default(true)
    .describe('Live video through MediaMTX. Off: no MediaMTX, no stream URLs, no talk sessions.'),
  mode: z
    .enum(['supervised', 'external', 'file'])
    .default('supervised')
    .describe(
      '`supervised`: hikbridge runs MediaMTX as a child process and restarts it if it dies. `external`: you ' +
        'run MediaMTX; hikbridge manages its paths through the control API at `media.apiUrl`. `file`: ' +
        'hikbridge only writes the paths into `media.configFile` (MediaMTX reloads the file when it changes).',
    ),
  binary: z
    .string()
    .min(1)
    .optional()
    .describe(
      'MediaMTX executable to run. When unset: `mediamtx` on PATH, else a build cached in ' +
        '`~/.cache/hikbridge`, else one built from the Go module proxy on first start (needs Go 1.26+).',
    ),
  cacheDir: z
    .string()
    .min(1)
    .optional()
    .register(configFieldMeta, { defaultText: '`$XDG_CACHE_HOME/hikbridge` or `~/.cache/hikbridge`' })
    .describe('Where a MediaMTX built by hikbridge is kept and reused.'),
  configFile: z
    .string()
    .min(1)
    .optional()
    .register(configFieldMeta, { defaultText: '`<dataDir>/mediamtx/mediamtx.yml`' })
    .describe(
      "The mediamtx.yml hikbridge writes: the child's config in `supervised` mode, your MediaMTX's config " +
        'in `file` mode (written atomically; keep your own settings elsewhere, the file is rewritten).',
    ),
  apiUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .register(configFieldMeta, {
      expects: 'an http:// URL',
      defaultText: '`http://127.0.0.1:<media.apiPort>`',
    })
    .describe('MediaMTX control API hikbridge talks to (in `external` mode: yours, with `api: yes`).'),
  apiUsername: z
    .string()
    .min(1)
    .optional()
    .describe(
      "`external` mode: the user hikbridge logs in to your MediaMTX's control API as (a user with the " +
        '`api` permission). The supervised MediaMTX needs none: hikbridge makes its own credentials at each start.',
    ),
  apiPassword: secret(z.string().min(1))
    .optional()
    .describe('`external` mode: the password of `media.apiUsername`.'),
  apiPort: wholeNumber(1, 65535)
    .default(9997)
    .describe("Port of the supervised MediaMTX's control API; bound to 127.0.0.1 only."),
  rtspPort: wholeNumber(1, 65535).default(8554).describe('RTSP port viewers and players connect to.'),
  webrtcPort: wholeNumber(1, 65535)
    .default(8889)
    .describe('HTTP port of the WebRTC pages and WHEP/WHIP endpoints.'),
  webrtcUdpPort: wholeNumber(1, 65535).default(8189).describe('UDP port for WebRTC media (ICE).'),
  hlsPort: wholeNumber(1, 65535).default(8888).describe('HTTP port of the HLS streams and pages.'),
  webrtcAdditionalHosts: z
    .array(z.string().min(1))
    .default([])
    .describe(
      "Extra addresses announced to browsers for WebRTC media, e.g. the public IP or the Docker host's " +
        "address, when viewers cannot reach the gateway's own interfaces.",
    ),
  publicHost: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Host name viewers use to reach the media ports. When unset: the host of `server.publicUrl`, or the ' +
        'host an API request came in on.',
    ),
  rtspTransport: z
    .enum(['tcp', 'udp', 'automatic'])
    .default('tcp')
    .describe('How MediaMTX pulls from cameras. TCP survives real networks; UDP loses packets.'),
  onDemandStartTimeoutSeconds: wholeNumber(1, 120)
    .default(10)
    .describe('How long the first viewer waits for a camera stream to start before giving up.'),
  onDemandCloseAfterSeconds: wholeNumber(1, 3600)
    .default(10)
    .describe('How long a camera stream stays open after its last viewer leaves.'),
  viewerTokenMinutes: wholeNumber(1, 7 * 24 * 60)
    .default(60)
    .describe(
      'Lifetime of the viewer tokens in stream URLs the API hands out; a URL stops working after that.',
    ),
  restartMaxSeconds: wholeNumber(1, 600)
    .default(30)
    .describe('Longest wait before restarting a MediaMTX that died (the wait doubles from 1 s).'),
  ffmpeg: z
    .string()
    .min(1)
    .default('ffmpeg')
    .describe(
      'The ffmpeg program (a path, or a name on PATH): snapshots from the live stream and two-way audio use it.',
    ),
}).describe('Live video (MediaMTX)');

export const talkSection = section({
  maxSessionSeconds: wholeNumber(5, 3600)
    .default(300)
    .describe('A two-way audio session ends after this long, whatever the source does.'),
  maxSessions: wholeNumber(1, 64)
    .default(4)
    .describe('Two-way audio sessions at once over all devices (each runs one ffmpeg).'),
  method: z
    .enum(['auto', 'isapi', 'onvif'])
    .default('auto')
    .describe(
      'How audio reaches the device: `isapi` two-way audio, the `onvif` RTSP audio backchannel, or `auto` ' +
        '(ISAPI, else the backchannel when the device offers one).',
    ),
  browserWaitSeconds: wholeNumber(5, 300)
    .default(30)
    .describe('How long a browser talk session waits for the microphone to be published before giving up.'),
  startTimeoutSeconds: wholeNumber(1, 120)
    .default(15)
    .describe('A talk source (file, URL, microphone) must produce its first audio within this long.'),
  maxGapSeconds: wholeNumber(1, 300)
    .default(10)
    .describe('A live talk source that sends nothing for this long ends the session.'),
  allowedUrlSchemes: z
    .array(z.enum(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'srt']))
    .default(['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'srt'])
    .describe('URL schemes a talk source given by URL may use (ffmpeg reads it).'),
}).describe('Two-way audio');
