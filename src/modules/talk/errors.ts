/**
 * Why a talk session cannot start, in the words of the person holding the microphone. All are
 * AppErrors, so the API answers them with their own status and code.
 */
import { AppError, ConflictError } from '../../core/errors.ts';

/** One talk session per speaker: a second one would cut the first off on the device. */
export class TalkSessionActiveError extends ConflictError {
  constructor(
    deviceName: string,
    readonly sessionId: string,
  ) {
    super(
      `A talk session (${sessionId}) is already active on the speaker of "${deviceName}". ` +
        'Stop it first, or wait until it ends.',
    );
  }
}

export class TalkCodecError extends AppError {
  constructor(deviceName: string, codec: string) {
    super(
      'talk_codec_unsupported',
      409,
      `The two-way audio codec of "${deviceName}" is ${codec}; hikbridge can only talk in G.711. ` +
        "Set the two-way audio codec to G.711ulaw in the camera's audio settings " +
        '(Configuration > Video/Audio > Audio), then try again.',
      { codec },
    );
  }
}

export class TalkViaNvrError extends AppError {
  constructor(deviceName: string) {
    super(
      'talk_via_nvr',
      409,
      `"${deviceName}" is a recorder: two-way audio through an NVR channel does not work on ` +
        'Hikvision recorders. Add the camera itself (its own IP address) and talk to it directly.',
    );
  }
}

export class TalkUnsupportedError extends AppError {
  constructor(deviceName: string, detail = 'the device reports no talk channel') {
    super(
      'talk_not_supported',
      409,
      `"${deviceName}" has no two-way audio (${detail}). ` +
        'Only models with a speaker or audio output can talk back.',
    );
  }
}

/** Talk over ONVIF was asked for, and the device's RTSP server offers no audio backchannel. */
export class TalkNoBackchannelError extends AppError {
  constructor(deviceName: string, detail: string) {
    super(
      'talk_no_backchannel',
      409,
      `"${deviceName}" offers no ONVIF audio backchannel, so it cannot talk over RTSP (${detail}). ` +
        'Use its ISAPI two-way audio instead (method "isapi" or "auto"); models without a speaker or audio output cannot talk back at all.',
    );
  }
}

export class TalkDisabledError extends AppError {
  constructor(deviceName: string, audioChannel: number) {
    super(
      'talk_disabled',
      409,
      `Two-way audio channel ${audioChannel} of "${deviceName}" is switched off. ` +
        "Switch two-way audio on in the camera's audio settings, then try again.",
    );
  }
}

/** The device's speaker is taken by someone else (another app talks, a doorbell rings). */
export class TalkSpeakerBusyError extends AppError {
  constructor(message: string) {
    super('talk_speaker_busy', 409, message);
  }
}

/** The source cannot be turned into audio: not audio at all, unreachable URL, nothing arrives. */
export class TalkSourceError extends AppError {
  constructor(message: string) {
    super('talk_source_invalid', 422, message);
  }
}

export class FfmpegMissingError extends AppError {
  constructor(path: string, detail: string) {
    super(
      'ffmpeg_missing',
      503,
      `Two-way audio needs ffmpeg, which could not be started as "${path}" (${detail}). ` +
        'Install ffmpeg (apt install ffmpeg, brew install ffmpeg...) or set the path to it in the talk settings.',
    );
  }
}

export class TalkLimitError extends AppError {
  constructor(max: number) {
    super('talk_limit', 503, `${max} talk session(s) are already running; stop one first.`);
  }
}

/** stop() (or shutdown) came while the session was still starting. */
export class TalkCancelledError extends AppError {
  constructor() {
    super('talk_cancelled', 409, 'The talk session was stopped before it started.');
  }
}
