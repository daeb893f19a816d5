/**
 * `POST /api/v1/doctor`: the troubleshooting checks against connection settings that are not
 * saved yet, so the add-device form can show the findings before anything is stored. It takes
 * the same body as `POST /api/v1/devices` with the same validation, answers the same report as
 * the per-device doctor (plus the certificate an HTTPS device showed and the channels it lists),
 * saves nothing and never echoes the password.
 */
import { AppError, InputError } from '../../../core/errors.ts';
import { ErrorBody, type HttpApp } from '../../../core/http.ts';
import { type DoctorOptions, type DoctorReport, examineDevice } from '../../../diagnostics/doctor.ts';
import { baseUrlOf } from '../connect.ts';
import {
  checkChannels,
  checkFingerprint,
  checkHost,
  checkPort,
  checkSnapshotUrl,
  checkStreamNo,
  type DeviceInput,
} from '../input.ts';
import type { DeviceRoutesDeps } from './deps.ts';
import { DeviceCreate, DoctorReportView } from './schemas.ts';

/** Each run holds a login and up to two requests on a device for up to 20 s: keep few at once. */
export const MAX_DOCTOR_RUNS = 4;

const errors = { 400: ErrorBody, 401: ErrorBody, 429: ErrorBody };

export function registerDoctorRoutes(app: HttpApp, deps: DeviceRoutesDeps): void {
  let running = 0;

  app.post(
    '/api/v1/doctor',
    {
      schema: {
        tags: ['devices'],
        summary: 'Run the troubleshooting checks against a device that is not added yet; nothing is saved',
        description:
          'Same body as POST /api/v1/devices. Answers the doctor report; on HTTPS also the certificate the ' +
          'device showed (pin it with tlsFingerprint when adding), and the channels it lists (for channelOverride).',
        body: DeviceCreate,
        response: { 200: DoctorReportView, ...errors },
      },
    },
    async (request) => {
      const options = doctorOptions(request.body as DeviceInput, deps.requestTimeoutMs);
      if (running >= MAX_DOCTOR_RUNS) {
        throw new AppError(
          'busy',
          429,
          `${MAX_DOCTOR_RUNS} checks are already running; try again when one of them has finished.`,
        );
      }
      running++;
      try {
        return await runChecked(options);
      } finally {
        running--;
      }
    },
  );
}

/** The doctor's settings from what a user typed, checked like an added device's. */
function doctorOptions(input: DeviceInput, requestTimeoutMs: number): DoctorOptions {
  if (typeof input.password !== 'string' || input.password === '') {
    throw new InputError('password: required', 'password');
  }
  const https = input.https ?? false;
  const host = checkHost(input.host);
  const port = checkPort(input.port ?? (https ? 443 : 80), 'port');
  // Settings the doctor does not use are still checked, so a form that passes here saves too.
  if (input.httpPortOverride) checkPort(input.httpPortOverride, 'httpPortOverride');
  if (input.snapshotUrlOverride) checkSnapshotUrl(input.snapshotUrlOverride);
  if (input.defaultStream) checkStreamNo(input.defaultStream);
  const pinned = input.tlsFingerprint ? checkFingerprint(input.tlsFingerprint) : undefined;
  const channels = input.channelOverride ? checkChannels(input.channelOverride) : undefined;
  return {
    baseUrl: baseUrlOf({ host, port, https }),
    username: input.username?.trim() || 'admin',
    password: input.password,
    tls: pinned ? { pinnedFingerprint: pinned } : { insecure: input.insecureTls ?? false },
    timeoutMs: requestTimeoutMs,
    ...(channels ? { channels } : {}),
  };
}

/** The report with the certificate and channels next to it (the UI shows and offers them). */
async function runChecked(options: DoctorOptions): Promise<DoctorReport> {
  try {
    const { report, certificate, channels } = await examineDevice(options);
    return { ...report, ...(certificate ? { certificate } : {}), ...(channels ? { channels } : {}) };
  } catch (error) {
    // runDoctor throws only for options it cannot use; the checks above should have caught them.
    if (error instanceof TypeError) throw new InputError(error.message);
    throw error;
  }
}
