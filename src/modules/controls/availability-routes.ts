/**
 * Which controls a device has, asked of it now, read-only: per channel PTZ, a supplement light and
 * a strobe, and the device's siren. The web UI asks this first and then only for the parts that
 * are there, so a camera without a siren is not asked for one (and answered 404) on every visit.
 * Detections, alarm outputs and storage need no such check: their own routes answer an empty
 * list when there are none.
 *
 * A check the device fails (not "I have none": a timeout, a refusal) counts as present: the part's
 * own route then says what went wrong, in words.
 */
import { Type } from 'typebox';
import { AppError } from '../../core/errors.ts';
import { ErrorBody, type RoutePlugin } from '../../core/http.ts';
import type { ChannelRecord } from '../../core/store/types.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { hasSiren, hasStrobe } from '../../protocols/isapi/deterrence.ts';
import { NotSupportedError } from '../../protocols/isapi/errors.ts';
import { readSupplementLight } from '../../protocols/isapi/io.ts';
import { deviceAccess } from './access.ts';
import { ptzControlOf } from './ptz.ts';
import type { ControlsContext } from './types.ts';

const errors = { 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

const ChannelControls = Type.Object({
  channelId: Type.String(),
  channelNo: Type.Integer(),
  ptz: Type.Boolean({ description: 'Pan/tilt or zoom (`/api/v1/channels/{id}/ptz`)' }),
  light: Type.Boolean({ description: 'A supplement light (`/api/v1/channels/{id}/light`)' }),
  strobe: Type.Boolean({ description: 'A flashing light (`/api/v1/channels/{id}/strobe`)' }),
});

const DeviceControls = Type.Object(
  {
    siren: Type.Boolean({ description: 'An audible alarm (`/api/v1/devices/{id}/siren`)' }),
    channels: Type.Array(ChannelControls),
  },
  { $id: 'DeviceControls' },
);

export function availabilityRoutes(controls: ControlsContext): RoutePlugin {
  const ptz = ptzControlOf(controls);

  /** Whether the channel has PTZ (the capabilities are cached for the PTZ routes that follow). */
  async function hasPtz(channel: ChannelRecord): Promise<boolean> {
    try {
      const caps = await ptz.capabilitiesOf(await ptz.channel(channel.id));
      return caps.panTilt || caps.zoom;
    } catch (error) {
      if (error instanceof AppError && error.code === 'ptz_unsupported') return false;
      return true;
    }
  }

  async function hasLight(client: IsapiClient, channel: ChannelRecord): Promise<boolean> {
    try {
      await readSupplementLight(client, channel.channelNo);
      return true;
    } catch (error) {
      return !(error instanceof NotSupportedError);
    }
  }

  return (app) => {
    app.get(
      '/api/v1/devices/:id/controls',
      {
        schema: {
          tags: ['controls'],
          summary: 'Which controls the device has: PTZ, light and strobe per channel, its siren',
          description:
            'Asked of the device now. An NVR passes neither lights, strobes nor sirens of its IP cameras on: ' +
            'those are false without asking. A check that fails (rather than finding none) counts as present.',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          response: { 200: DeviceControls, ...errors },
        },
      },
      async (request) => {
        const { device, client } = await deviceAccess(controls, request.params.id);
        const recorder = device.kind === 'nvr' || device.kind === 'dvr';
        const own = (channel: ChannelRecord) => channel.source !== 'proxy';
        const channels = (await controls.deps.store.channels.listByDevice(device.id)).sort(
          (a, b) => a.channelNo - b.channelNo,
        );
        const answer = [];
        // One channel after another: a recorder's many channels must not flood it.
        for (const channel of channels) {
          answer.push({
            channelId: channel.id,
            channelNo: channel.channelNo,
            ptz: await hasPtz(channel),
            light: own(channel) && (await hasLight(client, channel)),
            strobe: own(channel) && (await hasStrobe(client, channel.channelNo).catch(() => true)),
          });
        }
        // A recorder's own audible alarm is its buzzer, not a siren.
        const siren = !recorder && (await hasSiren(client).catch(() => true));
        return { siren, channels: answer };
      },
    );
  };
}
