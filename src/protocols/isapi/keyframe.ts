/**
 * Asking a stream's encoder for a key frame now: `PUT /ISAPI/Streaming/channels/<id>/requestKeyFrame`
 * with no body (id = channel * 100 + stream: 101, 102, 1201...). The device answers ResponseStatus
 * OK and the next picture on that stream's RTSP sessions is an IDR, so a viewer who joins inside a
 * long key-frame interval (cameras ship with 2-4 s) need not wait for the next one. Public
 * integrations call it on Hikvision firmware; devices without it answer 404 / `notSupport`, and an
 * account without the right 403.
 *
 * Pure protocol: no application state. Whether to ask again is the caller's (see
 * `lacksKeyFrameRequest`).
 */
import type { IsapiClient } from './client.ts';
import { isAbsentEndpoint, NotSupportedError, PermissionDeniedError } from './errors.ts';

export function keyFrameRequestPath(streamId: number): string {
  if (!Number.isInteger(streamId) || streamId <= 0) throw new RangeError(`bad stream id ${streamId}`);
  return `/ISAPI/Streaming/channels/${streamId}/requestKeyFrame`;
}

export interface KeyFrameRequestOptions {
  /** Default 2000 ms: a key frame that comes later than that no longer helps a starting viewer. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Resolves once the device accepted; throws the device's error otherwise (see errors.ts). */
export async function requestKeyFrame(
  client: IsapiClient,
  streamId: number,
  options: KeyFrameRequestOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const deadline = AbortSignal.timeout(timeoutMs);
  await client.call({
    method: 'PUT',
    path: keyFrameRequestPath(streamId),
    timeoutMs,
    signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
  });
}

/**
 * The device does not offer the request to this account: 404 / `notSupport` / 405 (firmware
 * without it) or 403 (the user lacks the right). Asking again will not change the answer.
 */
export function lacksKeyFrameRequest(error: unknown): boolean {
  return (
    error instanceof NotSupportedError || error instanceof PermissionDeniedError || isAbsentEndpoint(error)
  );
}
