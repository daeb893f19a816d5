/**
 * What happens to one device request, in device order: transport faults (reset, stall, slow),
 * device-wide states (not activated, no challenge), authentication, answer faults (busy,
 * forbidden, status, malformed XML), then the endpoint. Every request is logged except /__sim/.
 */
import type { AuthOutcome, DeviceAuth } from './auth.ts';
import type { DeviceContext, RouteRequest } from './context.ts';
import { CONTROL_PREFIX, handleControl } from './control.ts';
import type { Headers, HttpRequest, HttpResponse } from './http/connection.ts';
import { sendStatus, sleep } from './respond.ts';
import { route } from './routes/index.ts';
import type { SimDevice, SimRequestRecord } from './types.ts';
import { htmlNotFound, responseStatusXml, XML_CONTENT_TYPE } from './xml.ts';

export interface PipelineDeps {
  device: SimDevice;
  context: DeviceContext;
  auth: DeviceAuth;
  requests: SimRequestRecord[];
}

/** Path relative to /ISAPI/; the very old alertStream path has no /ISAPI prefix. */
function isapiPathOf(path: string): string | undefined {
  if (path.startsWith('/ISAPI/')) return path.slice('/ISAPI/'.length);
  if (path === '/Event/notification/alertStream') return 'Event/notification/alertStream';
  return undefined;
}

/** A 200 whose XML is cut short: what a device with a broken XML writer sends. */
export function brokenXml(body: Buffer): Buffer {
  const textBody = body.toString('utf8');
  if (textBody.trimStart().startsWith('<'))
    return body.subarray(0, Math.max(24, Math.floor(body.length * 0.6)));
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>\n<ResponseStatus version="2.0">\n<statusCode>1</statusCo',
  );
}

function send401(r: RouteRequest, challenges: string[], body: string): void {
  const headers: Headers = { 'Content-Type': XML_CONTENT_TYPE };
  if (challenges.length) headers['WWW-Authenticate'] = challenges;
  r.res.send(401, headers, body);
}

function unauthorized(
  r: RouteRequest,
  auth: DeviceAuth,
  outcome: Exclude<AuthOutcome, { kind: 'ok' }>,
): void {
  if (outcome.kind === 'bad') {
    const body = responseStatusXml({
      requestURL: r.req.target,
      statusCode: 4,
      statusString: 'Invalid Operation',
      subStatusCode: 'badAuthorization',
      namespace: r.device.model.namespace,
    });
    r.res.send(400, { 'Content-Type': XML_CONTENT_TYPE, 'X-Sim-Auth-Error': outcome.reason }, body);
    return;
  }
  const username = 'username' in outcome ? outcome.username : auth.defaultUsername;
  send401(r, auth.challenges(outcome.kind === 'stale'), auth.userCheckBody(username));
}

function notActivated(r: RouteRequest, auth: DeviceAuth): void {
  const body = responseStatusXml({
    requestURL: r.req.target,
    statusCode: 4,
    statusString: 'Invalid Operation',
    subStatusCode: 'notActivated',
    namespace: r.device.model.namespace,
  });
  send401(r, auth.challenges(), body);
}

/** Answer faults after authentication; true when the request is answered. */
function answerFaults(r: RouteRequest): boolean {
  const { faults } = r.device;
  const path = r.req.path;
  if (faults.find('busy', path)) {
    sendStatus(r, 503);
    return true;
  }
  if (faults.find('forbidden', path)) {
    sendStatus(r, 403, { subStatusCode: 'noPermission' });
    return true;
  }
  const status = faults.find('status', path);
  if (status) {
    sendStatus(r, status.status);
    return true;
  }
  if (faults.find('malformedXml', path)) {
    r.res.transform = (_status, _headers, body) => [
      200,
      { 'Content-Type': XML_CONTENT_TYPE },
      brokenXml(body),
    ];
  }
  return false;
}

/** How many request records a device keeps (the newest). */
export const MAX_REQUEST_RECORDS = 20_000;

async function handleDevice(deps: PipelineDeps, req: HttpRequest, res: HttpResponse): Promise<void> {
  const { context, auth } = deps;
  const record: SimRequestRecord = {
    method: req.method,
    path: req.path,
    query: req.rawQuery,
    status: 0,
    authenticated: req.headers.authorization !== undefined,
    authorized: false,
    at: Date.now(),
  };
  deps.requests.push(record);
  // Bounded: a long-running simulator keeps the newest records only (trimmed in batches).
  if (deps.requests.length > MAX_REQUEST_RECORDS + 1000) deps.requests.splice(0, 1000);
  res.onHead = (status) => {
    record.status = status;
  };
  res.now = () => context.clock.now(); // the device stamps its answers with its own clock
  const { faults } = context;
  if (faults.find('reset', req.path)) return res.destroy();
  if (faults.find('stall', req.path)) return; // accepted, never answered; close() drops the socket
  const slow = faults.find('slow', req.path);
  if (slow) {
    await sleep(slow.delayMs);
    if (context.closed() || res.closed) return;
  }
  const isapiPath = isapiPathOf(req.path);
  const r: RouteRequest = {
    req,
    res,
    device: context,
    path: isapiPath ?? req.path,
    json: req.query.get('format') === 'json',
  };
  if (faults.has('notActivated')) return notActivated(r, auth);
  // Seen on doorbells: 401 and no WWW-Authenticate, so clients cannot even try.
  if (faults.has('noChallenge')) return send401(r, [], auth.userCheckBody(auth.defaultUsername));
  const outcome = auth.check(req.method, req.target, req.headers.authorization);
  if (outcome.kind !== 'ok') return unauthorized(r, auth, outcome);
  record.authorized = true;
  if (answerFaults(r)) return;
  if (isapiPath === undefined) return res.send(404, { 'Content-Type': 'text/html' }, htmlNotFound(req.path));
  await route(r);
}

export function createHandler(deps: PipelineDeps): (req: HttpRequest, res: HttpResponse) => void {
  return (req, res) => {
    if (req.path.startsWith(CONTROL_PREFIX)) {
      handleControl(deps.device, req, res);
      return;
    }
    handleDevice(deps, req, res).catch((error: unknown) => {
      // A bug in the simulator must not look like a hang: answer 500 with the reason.
      if (!res.headersSent) {
        res.send(500, { 'Content-Type': 'text/plain', 'X-Sim-Error': 'internal' }, String(error));
      } else res.destroy();
    });
  };
}
