/**
 * The device's RTSP server, as far as the ONVIF audio backchannel needs it: OPTIONS, DESCRIBE
 * (the backchannel track only when `Require: www.onvif.org/ver20/backchannel` asks for it, like
 * real devices), SETUP over TCP interleaved, PLAY, GET_PARAMETER/SET_PARAMETER keep-alives,
 * TEARDOWN; Digest (RFC 2069 form, no qop, as Hikvision's RTSP server sends it) or Basic login
 * with the device account. RTP that arrives on the backchannel is checked (sequence, timestamp,
 * payload type) and its G.711 payload recorded, so tests can decode what the speaker would play.
 *
 * No video is sent: PLAY of a video track is accepted and stays silent. Self-contained (no
 * import from src/): the client under test must not share code with the device it is tested on.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AuthMode, SimBackchannelOptions, SimBackchannelStats, SimRtspRequestRecord } from './types.ts';
import { SimInputError } from './validate.ts';

export const BACKCHANNEL_TAG = 'www.onvif.org/ver20/backchannel';
/** Cap on recorded backchannel audio (about 35 minutes of 8 kHz G.711), like ISAPI uploads. */
export const MAX_BACKCHANNEL_BYTES = 16 * 1024 * 1024;
const MAX_HEAD_BYTES = 8 * 1024;
const MAX_BODY_BYTES = 64 * 1024;
const MAX_CONNECTIONS = 32;
const MAX_NONCES = 1000;
const NONCE_TTL_MS = 5 * 60_000;
/** The request log keeps the newest 2000 to 2100 entries. */
const MAX_RECORDS = 2000;
const MAX_SSRCS = 16;

const VIDEO_TRACK = 'trackID=1';
const AUDIO_TRACK = 'trackID=2';
const BACKCHANNEL_TRACK = 'trackID=4';

export type BackchannelCodec = NonNullable<SimBackchannelOptions['codec']>;

/** The backchannel's SDP format per codec: payload type and rtpmap. */
const CODECS: Record<BackchannelCodec, { payloadType: number; rtpmap: string }> = {
  PCMU: { payloadType: 0, rtpmap: 'PCMU/8000' },
  PCMA: { payloadType: 8, rtpmap: 'PCMA/8000' },
  G726: { payloadType: 97, rtpmap: 'G726-32/8000' },
};

export interface BackchannelSpec {
  codec: BackchannelCodec;
  missing: 'ignore' | '551' | undefined;
  port: number;
  sessionTimeoutSeconds: number;
}

/** Validates `onvifBackchannel`; undefined when the device has no RTSP backchannel server. */
export function backchannelSpecOf(
  option: boolean | SimBackchannelOptions | undefined,
): BackchannelSpec | undefined {
  if (option === undefined || option === false) return undefined;
  const given: SimBackchannelOptions = option === true ? {} : option;
  if (typeof given !== 'object' || given === null) {
    throw new SimInputError(
      'onvifBackchannel must be true or { codec?, missing?, port?, sessionTimeoutSeconds? }',
    );
  }
  const codec = given.codec ?? 'PCMU';
  if (!(codec in CODECS)) throw new SimInputError('onvifBackchannel.codec must be PCMU, PCMA or G726');
  if (given.missing !== undefined && given.missing !== 'ignore' && given.missing !== '551') {
    throw new SimInputError("onvifBackchannel.missing must be 'ignore' or '551'");
  }
  const port = given.port ?? 0;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new SimInputError('onvifBackchannel.port must be a port number (0 = a free one)');
  }
  const sessionTimeoutSeconds = given.sessionTimeoutSeconds ?? 60;
  if (!(typeof sessionTimeoutSeconds === 'number' && sessionTimeoutSeconds > 0)) {
    throw new SimInputError('onvifBackchannel.sessionTimeoutSeconds must be a positive number');
  }
  return { codec, missing: given.missing, port, sessionTimeoutSeconds };
}

/** What DESCRIBE says about one stream id. */
export interface RtspStreamFacts {
  video: 'H264' | 'H265';
  width: number;
  height: number;
  /** The stream's own audio (device to client), when it has some. */
  audio?: 'PCMU' | 'PCMA';
}

export interface RtspDeviceFacts {
  username: string;
  /** Called per request: the wrongPassword fault changes what the device expects. */
  password: () => string;
  auth: AuthMode;
  realm: string;
  stream: (id: number) => RtspStreamFacts | undefined;
  /** The device's clock, for the `Date` header (it may be off). */
  now: () => Date;
}

interface Request {
  method: string;
  uri: string;
  headers: Map<string, string>;
}

interface Session {
  id: string;
  streamId: number;
  /** Interleaved RTP channel of the backchannel, once set up. */
  backchannelChannel: number | undefined;
  setUp: Set<string>;
  playing: boolean;
  timer: NodeJS.Timeout | undefined;
  last: { sequence: number; timestamp: number; length: number } | undefined;
}

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function authParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[match[1]!.toLowerCase()] =
      match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? '');
  }
  return params;
}

export function emptyBackchannelStats(): SimBackchannelStats {
  return {
    packets: 0,
    bytes: 0,
    wrongPayloadType: 0,
    markers: 0,
    firstMarker: null,
    sequenceErrors: 0,
    timestampErrors: 0,
    ssrcs: [],
    ignored: 0,
    sessions: 0,
    teardowns: 0,
    timeouts: 0,
  };
}

export class RtspBackchannelServer {
  readonly requests: SimRtspRequestRecord[] = [];
  readonly stats: SimBackchannelStats = emptyBackchannelStats();
  private readonly sockets = new Set<Socket>();
  private readonly nonces = new Map<string, number>();
  private readonly audio: Buffer[] = [];
  /** The connection whose session holds the backchannel: the device has one speaker. */
  speakerOwner: object | undefined;
  private audioBytes = 0;
  private facts: RtspDeviceFacts | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly spec: BackchannelSpec,
  ) {}

  /**
   * Binds the port first, so the device model can report it as the RTSP port; requests are
   * served once `serve()` has the device's facts (nobody knows the port before that anyway).
   */
  static listen(host: string, spec: BackchannelSpec): Promise<RtspBackchannelServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(spec.port, host, () => {
        server.removeListener('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : spec.port;
        const instance = new RtspBackchannelServer(server, port, spec);
        server.on('connection', (socket) => instance.accept(socket));
        resolve(instance);
      });
    });
  }

  serve(facts: RtspDeviceFacts): void {
    this.facts = facts;
  }

  /** The G.711 payload received on backchannels, in arrival order. */
  received(): Buffer {
    return Buffer.concat(this.audio);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (!this.facts || this.sockets.size >= MAX_CONNECTIONS) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    // A connection that says nothing for this long is dropped: idle sockets are not kept forever.
    socket.setTimeout(Math.max(120, this.spec.sessionTimeoutSeconds * 2) * 1000, () => socket.destroy());
    const connection = new Connection(socket, this, this.facts, this.spec);
    socket.on('data', (chunk: Buffer) => connection.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.sockets.delete(socket);
      connection.closed();
    });
  }

  record(entry: SimRtspRequestRecord): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_RECORDS + 100) this.requests.splice(0, this.requests.length - MAX_RECORDS);
  }

  recordAudio(payload: Buffer): void {
    if (this.audioBytes >= MAX_BACKCHANNEL_BYTES) return;
    const piece = payload.subarray(0, MAX_BACKCHANNEL_BYTES - this.audioBytes);
    this.audio.push(Buffer.from(piece));
    this.audioBytes += piece.length;
  }

  issueNonce(): string {
    if (this.nonces.size >= MAX_NONCES) {
      // Oldest first (Map keeps insertion order).
      for (const nonce of [...this.nonces.keys()].slice(0, MAX_NONCES / 2)) this.nonces.delete(nonce);
    }
    const nonce = randomBytes(16).toString('hex');
    this.nonces.set(nonce, Date.now());
    return nonce;
  }

  nonceFresh(nonce: string): boolean {
    const issued = this.nonces.get(nonce);
    return issued !== undefined && Date.now() - issued <= NONCE_TTL_MS;
  }
}

type Answer = { status: number; headers?: Array<[string, string]>; body?: string };

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  454: 'Session Not Found',
  455: 'Method Not Valid in This State',
  503: 'Service Unavailable',
  461: 'Unsupported Transport',
  501: 'Not Implemented',
  551: 'Option not supported',
};

class Connection {
  private buffer: Buffer = Buffer.alloc(0);
  private session: Session | undefined;
  private dead = false;

  constructor(
    private readonly socket: Socket,
    private readonly server: RtspBackchannelServer,
    private readonly facts: RtspDeviceFacts,
    private readonly spec: BackchannelSpec,
  ) {}

  onData(chunk: Buffer): void {
    if (this.dead) return;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length === 0) return;
      if (this.buffer[0] === 0x0d || this.buffer[0] === 0x0a) {
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      if (this.buffer[0] === 0x24) {
        if (this.buffer.length < 4) return;
        const length = this.buffer.readUInt16BE(2);
        if (this.buffer.length < 4 + length) return;
        this.onInterleaved(this.buffer[1]!, this.buffer.subarray(4, 4 + length));
        this.buffer = this.buffer.subarray(4 + length);
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > MAX_HEAD_BYTES) this.reject(400);
        return;
      }
      if (end > MAX_HEAD_BYTES) {
        this.reject(400);
        return;
      }
      const lines = this.buffer.subarray(0, end).toString('utf8').split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (!(Number.isInteger(length) && length >= 0 && length <= MAX_BODY_BYTES)) {
        this.reject(400);
        return;
      }
      if (this.buffer.length < end + 4 + length) return;
      this.buffer = this.buffer.subarray(end + 4 + length);
      const start = /^([A-Z_]+) (\S+) RTSP\/1\.0$/.exec(lines[0] ?? '');
      if (!start) {
        this.reject(400);
        return;
      }
      this.handle({ method: start[1]!, uri: start[2]!, headers });
    }
  }

  closed(): void {
    this.dead = true;
    this.endSession();
  }

  /** A request we cannot even read: answer and hang up (the byte stream is lost). */
  private reject(status: number): void {
    this.socket.end(`RTSP/1.0 ${status} ${REASONS[status] ?? ''}\r\n\r\n`);
    this.dead = true;
  }

  private handle(request: Request): void {
    const cseq = request.headers.get('cseq');
    const record: SimRtspRequestRecord = {
      method: request.method,
      uri: request.uri,
      cseq: cseq && /^\d+$/.test(cseq) ? Number(cseq) : null,
      status: 0,
      authenticated: request.headers.has('authorization'),
      authorized: false,
      session: request.headers.get('session') ?? null,
      require: request.headers.get('require') ?? null,
      transport: request.headers.get('transport') ?? null,
      at: Date.now(),
    };
    this.server.record(record);
    let answer: Answer;
    if (record.cseq === null) answer = { status: 400 };
    else if (request.method === 'OPTIONS') {
      // Like the devices: OPTIONS is answered before any login.
      answer = {
        status: 200,
        headers: [
          ['Public', 'OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN, SET_PARAMETER, GET_PARAMETER'],
        ],
      };
      this.touch(request);
    } else {
      const login = this.login(request);
      if (login) answer = login;
      else {
        record.authorized = true;
        answer = this.dispatch(request);
      }
    }
    record.status = answer.status;
    this.send(record.cseq, answer);
  }

  private dispatch(request: Request): Answer {
    switch (request.method) {
      case 'DESCRIBE':
        return this.describe(request);
      case 'SETUP':
        return this.setup(request);
      case 'PLAY':
        return this.play(request);
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
      case 'PAUSE': {
        const problem = this.sessionProblem(request);
        if (problem) return problem;
        this.touch(request);
        return { status: 200, headers: [['Session', this.sessionHeader()]] };
      }
      case 'TEARDOWN': {
        const problem = this.sessionProblem(request);
        if (problem) return problem;
        this.server.stats.teardowns++;
        this.endSession();
        return { status: 200 };
      }
      default:
        return { status: 501 };
    }
  }

  /** Undefined when logged in; the 401 answer otherwise. */
  private login(request: Request): Answer | undefined {
    const authorization = request.headers.get('authorization') ?? '';
    const space = authorization.indexOf(' ');
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : authorization.slice(space + 1);
    const mode = this.facts.auth;
    let stale = false;
    if (scheme === 'digest' && mode !== 'basic') {
      const p = authParams(rest);
      const ha1 = md5(`${p.username ?? ''}:${this.facts.realm}:${this.facts.password()}`);
      const ha2 = md5(`${request.method}:${p.uri ?? ''}`);
      const expected = p.qop
        ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
        : md5(`${ha1}:${p.nonce}:${ha2}`);
      const good =
        p.uri === request.uri &&
        sameText(p.username ?? '', this.facts.username) &&
        sameText((p.response ?? '').toLowerCase(), expected);
      if (good && this.server.nonceFresh(p.nonce ?? '')) return undefined;
      stale = good; // right password on a nonce we no longer know
    } else if (scheme === 'basic' && mode !== 'digest') {
      const decoded = Buffer.from(rest.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (
        colon > 0 &&
        sameText(decoded.slice(0, colon), this.facts.username) &&
        sameText(decoded.slice(colon + 1), this.facts.password())
      )
        return undefined;
    }
    const realm = this.facts.realm.replace(/"/g, '');
    const headers: Array<[string, string]> = [];
    if (mode !== 'basic') {
      headers.push([
        'WWW-Authenticate',
        `Digest realm="${realm}", nonce="${this.server.issueNonce()}", stale="${stale ? 'TRUE' : 'FALSE'}"`,
      ]);
    }
    if (mode !== 'digest') headers.push(['WWW-Authenticate', `Basic realm="${realm}"`]);
    return { status: 401, headers };
  }

  private describe(request: Request): Answer {
    const target = parseTarget(request.uri);
    const stream = target && !target.track ? this.facts.stream(target.streamId) : undefined;
    if (!target || !stream) return { status: 404 };
    const required = (request.headers.get('require') ?? '')
      .split(',')
      .map((tag) => tag.trim())
      .filter(Boolean);
    const unknown = required.filter((tag) => tag !== BACKCHANNEL_TAG);
    if (unknown.length > 0) return { status: 551, headers: [['Unsupported', unknown.join(', ')]] };
    const backchannel = required.includes(BACKCHANNEL_TAG);
    if (backchannel && this.spec.missing === '551') {
      return { status: 551, headers: [['Unsupported', BACKCHANNEL_TAG]] };
    }
    const base = `${target.base}/`;
    const sdp = buildSdp(base, stream, backchannel && !this.spec.missing ? this.spec.codec : undefined);
    return {
      status: 200,
      headers: [
        ['Content-Type', 'application/sdp'],
        ['Content-Base', base],
      ],
      body: sdp,
    };
  }

  private setup(request: Request): Answer {
    const target = parseTarget(request.uri);
    const stream = target?.track ? this.facts.stream(target.streamId) : undefined;
    if (!target?.track || !stream) return { status: 404 };
    const isBackchannel = target.track === BACKCHANNEL_TRACK;
    if (isBackchannel && this.spec.missing) return { status: 404 };
    if (target.track === AUDIO_TRACK && !stream.audio) return { status: 404 };
    // ONVIF: the backchannel SETUP carries the Require tag again; without it the device
    // would take this for an ordinary audio track, which it does not have here.
    const required = (request.headers.get('require') ?? '').split(',').map((tag) => tag.trim());
    if (isBackchannel && !required.includes(BACKCHANNEL_TAG)) {
      return { status: 551, headers: [['Unsupported', 'backchannel SETUP without its Require tag']] };
    }
    const transport = request.headers.get('transport') ?? '';
    const interleaved = /interleaved=(\d+)(?:-(\d+))?/.exec(transport);
    // Only RTP over the RTSP connection is implemented here (what the client asks for).
    if (!/^RTP\/AVP\/TCP/i.test(transport) || !interleaved) return { status: 461 };
    // One speaker: a second backchannel while one is set up is refused (status assumed: 503).
    if (isBackchannel && this.server.speakerOwner && this.server.speakerOwner !== this)
      return { status: 503 };
    if (request.headers.has('session')) {
      const problem = this.sessionProblem(request);
      if (problem) return problem;
    } else if (this.session) {
      return { status: 455 }; // one session per connection
    } else {
      this.session = {
        id: String(randomInt(100_000_000, 2_000_000_000)),
        streamId: target.streamId,
        backchannelChannel: undefined,
        setUp: new Set(),
        playing: false,
        timer: undefined,
        last: undefined,
      };
      this.server.stats.sessions++;
    }
    const session = this.session!;
    const rtp = Number(interleaved[1]);
    const rtcp = interleaved[2] !== undefined ? Number(interleaved[2]) : rtp + 1;
    session.setUp.add(target.track);
    if (isBackchannel) {
      session.backchannelChannel = rtp;
      this.server.speakerOwner = this;
    }
    this.touch(request);
    return {
      status: 200,
      headers: [
        ['Session', this.sessionHeader()],
        [
          'Transport',
          `RTP/AVP/TCP;unicast;interleaved=${rtp}-${rtcp};ssrc=${randomBytes(4).toString('hex')};mode="play"`,
        ],
      ],
    };
  }

  private play(request: Request): Answer {
    const problem = this.sessionProblem(request);
    if (problem) return problem;
    const session = this.session!;
    const target = parseTarget(request.uri);
    if (!target || target.streamId !== session.streamId) return { status: 404 };
    if (session.setUp.size === 0) return { status: 455 };
    session.playing = true;
    this.touch(request);
    const info = [...session.setUp].map((track) => `url=${target.base}/${track};seq=0;rtptime=0`).join(',');
    return {
      status: 200,
      headers: [
        ['Session', this.sessionHeader()],
        ['Range', 'npt=now-'],
        ['RTP-Info', info],
      ],
    };
  }

  /** 454 when the request names no session or another one than this connection's. */
  private sessionProblem(request: Request): Answer | undefined {
    const given = (request.headers.get('session') ?? '').split(';')[0]!.trim();
    if (!this.session || given !== this.session.id) return { status: 454 };
    return undefined;
  }

  private sessionHeader(): string {
    return `${this.session!.id};timeout=${this.spec.sessionTimeoutSeconds}`;
  }

  /**
   * Requests naming the session keep it alive; RTP alone does not (the strict reading of RFC
   * 2326, and what clients must cope with). A session left alone for its timeout is dropped
   * together with its connection.
   */
  private touch(request: Request): void {
    const session = this.session;
    if (!session) return;
    const given = (request.headers.get('session') ?? '').split(';')[0]!.trim();
    if (request.method !== 'SETUP' && given !== session.id) return;
    clearTimeout(session.timer);
    session.timer = setTimeout(() => {
      this.server.stats.timeouts++;
      this.endSession();
      this.socket.destroy();
    }, this.spec.sessionTimeoutSeconds * 1000);
    session.timer.unref();
  }

  private endSession(): void {
    if (!this.session) return;
    clearTimeout(this.session.timer);
    this.session = undefined;
    if (this.server.speakerOwner === this) this.server.speakerOwner = undefined;
  }

  private onInterleaved(channel: number, data: Buffer): void {
    const session = this.session;
    const stats = this.server.stats;
    if (!session?.playing || session.backchannelChannel === undefined) {
      stats.ignored++;
      return;
    }
    if (channel !== session.backchannelChannel) return; // RTCP, or another track's channel
    if (data.length < 12 || data[0]! >> 6 !== 2) {
      stats.ignored++;
      return;
    }
    const marker = (data[1]! & 0x80) !== 0;
    const payloadType = data[1]! & 0x7f;
    const sequence = data.readUInt16BE(2);
    const timestamp = data.readUInt32BE(4);
    const ssrc = data.readUInt32BE(8);
    const offset = 12 + (data[0]! & 0x0f) * 4;
    const payload = data.subarray(offset);
    stats.packets++;
    stats.bytes += payload.length;
    if (stats.firstMarker === null) stats.firstMarker = marker;
    if (marker) stats.markers++;
    if (!stats.ssrcs.includes(ssrc) && stats.ssrcs.length < MAX_SSRCS) stats.ssrcs.push(ssrc);
    const last = session.last;
    if (last) {
      if (sequence !== ((last.sequence + 1) & 0xffff)) stats.sequenceErrors++;
      // G.711: one byte per sample, so the clock moves by the previous payload's length.
      if (timestamp !== (last.timestamp + last.length) >>> 0) stats.timestampErrors++;
    }
    session.last = { sequence, timestamp, length: payload.length };
    if (payloadType !== CODECS[this.spec.codec].payloadType) {
      stats.wrongPayloadType++;
      return;
    }
    this.server.recordAudio(payload);
  }

  private send(cseq: number | null, answer: Answer): void {
    if (this.dead || this.socket.destroyed) return;
    const lines = [`RTSP/1.0 ${answer.status} ${REASONS[answer.status] ?? ''}`.trimEnd()];
    if (cseq !== null) lines.push(`CSeq: ${cseq}`);
    lines.push(`Date: ${this.facts.now().toUTCString()}`);
    for (const [name, value] of answer.headers ?? []) lines.push(`${name}: ${value}`);
    const body = Buffer.from(answer.body ?? '', 'utf8');
    if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
    this.socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
  }
}

interface Target {
  /** `rtsp://host:port/Streaming/Channels/101`, as the client addressed it. */
  base: string;
  streamId: number;
  track: string | undefined;
}

function parseTarget(uri: string): Target | undefined {
  const match = /^(rtsp:\/\/[^/?#]+\/Streaming\/Channels\/(\d+))(?:\/(trackID=\d+))?\/?(?:\?.*)?$/i.exec(uri);
  if (!match) return undefined;
  return { base: match[1]!, streamId: Number(match[2]), track: match[3] };
}

/** An SDP shaped like a Hikvision camera's, with the backchannel track when asked for. */
function buildSdp(base: string, stream: RtspStreamFacts, backchannel: BackchannelCodec | undefined): string {
  const host = /^rtsp:\/\/([^/:]+|\[[^\]]+\])/.exec(base)?.[1] ?? '0.0.0.0';
  const version = Date.now() * 1000;
  const lines = [
    'v=0',
    `o=- ${version} ${version} IN IP4 ${host.replace(/[[\]]/g, '')}`,
    's=Media Presentation',
    'e=NONE',
    'b=AS:5100',
    't=0 0',
    `a=control:${base}`,
    'm=video 0 RTP/AVP 96',
    'c=IN IP4 0.0.0.0',
    'b=AS:5000',
    'a=recvonly',
    `a=x-dimensions:${stream.width},${stream.height}`,
    `a=control:${base}${VIDEO_TRACK}`,
    `a=rtpmap:96 ${stream.video}/90000`,
  ];
  if (stream.audio) {
    const audio = CODECS[stream.audio];
    lines.push(
      `m=audio 0 RTP/AVP ${audio.payloadType}`,
      'c=IN IP4 0.0.0.0',
      'b=AS:50',
      'a=recvonly',
      `a=control:${base}${AUDIO_TRACK}`,
      `a=rtpmap:${audio.payloadType} ${audio.rtpmap}`,
    );
  }
  if (backchannel) {
    const codec = CODECS[backchannel];
    lines.push(
      `m=audio 0 RTP/AVP ${codec.payloadType}`,
      'c=IN IP4 0.0.0.0',
      'b=AS:50',
      'a=sendonly',
      `a=control:${base}${BACKCHANNEL_TRACK}`,
      `a=rtpmap:${codec.payloadType} ${codec.rtpmap}`,
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
