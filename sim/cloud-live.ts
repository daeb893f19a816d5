/**
 * Live addresses of the simulated cloud and the check a play of one of them must pass at the
 * RTMP origin (sim/cloud-origin.ts): the URL's `id` must be one the cloud issued for exactly
 * that stream name, its `expire` the one issued, still in the future by the cloud's clock, and
 * the camera must still exist and be online.
 */
import { randomBytes } from 'node:crypto';
import type { CloudAccount, Resource } from './cloud-account.ts';

export interface IssuedAddress {
  resourceId: string;
  url: string;
  expireSeconds: number;
  /** Epoch ms, as the API answers it. */
  expiresAt: number;
  /** The address id (`data.id`, also the URL's `id=`). */
  id: string;
  /** `SERIAL_<channel>_<quality>`, the last part of the URL's path. */
  stream: string;
}

export interface PlayVerdict {
  accepted: boolean;
  /** Why, in a few words (never the query's values). */
  reason: string;
}

const STREAM_PATH = /^v3\/openlive\/([^/]+)$/;
const STREAM_NAME = /^(.+)_(\d+)_([12])$/;
/** The real cloud's RTMP host, used when no origin or host is given. */
const DEFAULT_HOST = 'vtmsgpzl.ezvizlife.com:1935';

export class LiveAddresses {
  readonly issued: IssuedAddress[] = [];
  private readonly byId = new Map<string, IssuedAddress>();

  constructor(
    private readonly account: CloudAccount,
    private readonly now: () => number,
    private readonly host: () => string | undefined,
  ) {}

  issue(resource: Resource, quality: 1 | 2, protocol: number, expireSeconds: number): IssuedAddress {
    const expiresAt = this.now() + expireSeconds * 1000;
    const id = randomBytes(8).toString('hex');
    const stream = `${resource.device.serialNumber}_${resource.camera.channelNo}_${quality}`;
    const query = `expire=${expireParam(expiresAt)}&id=${id}&c=${randomBytes(5).toString('hex')}&t=${randomBytes(16).toString('hex')}&ev=100`;
    const host = this.host() ?? DEFAULT_HOST;
    const url =
      protocol === 2
        ? `http://${host}/v3/openlive/${stream}.m3u8?${query}`
        : `rtmp://${host}/v3/openlive/${stream}?${query}`;
    const address = { resourceId: resource.id, url, expireSeconds, expiresAt, id, stream };
    this.issued.push(address);
    this.byId.set(id, address);
    return address;
  }

  /** May a player read `path` (e.g. `v3/openlive/SN_1_2`) with this query string? */
  checkPlay(path: string, query: string): PlayVerdict {
    const name = STREAM_PATH.exec(path.replace(/^\/+/, ''))?.[1];
    if (!name) return refused('not a live stream path');
    const params = new URLSearchParams(query.replace(/^\?/, ''));
    const address = this.byId.get(params.get('id') ?? '');
    if (!address) return refused('no address with this id was issued');
    if (address.stream !== name) return refused('the id was issued for another stream');
    const expire = params.get('expire');
    if (expire !== String(expireParam(address.expiresAt)))
      return refused('expire differs from the issued one');
    if (Number(expire) * 1000 <= this.now()) return refused('the address has expired');
    const [, serial, channel] = STREAM_NAME.exec(name) ?? [];
    const resource = this.account.findStream(serial ?? '', Number(channel));
    if (!resource || resource.id !== address.resourceId) return refused('the camera was removed');
    if (resource.device.online === false || resource.camera.online === false)
      return refused('the camera is offline');
    return { accepted: true, reason: 'issued address' };
  }
}

/** The URL's `expire=`: epoch seconds. */
function expireParam(expiresAtMs: number): number {
  return Math.floor(expiresAtMs / 1000);
}

function refused(reason: string): PlayVerdict {
  return { accepted: false, reason };
}
