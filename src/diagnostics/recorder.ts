/** NVR/DVR health: IP cameras the recorder cannot reach give no video, events or pictures. */
import { bool, children, int, text } from '../protocols/isapi/xml.ts';
import { type DoctorCheck, pass, skip, warn } from './report.ts';
import { type DoctorSession, unreadable } from './session.ts';
import { CHANNEL_STATUS } from './snapshot.ts';

interface ChannelStatus {
  id: number;
  online: boolean;
  /** Why, as the recorder puts it (`netUnreachable`, `passwordError`...). */
  reason: string | undefined;
}

export async function nvrChannelsCheck(session: DoctorSession): Promise<DoctorCheck> {
  const id = 'nvr-channels';
  if (!session.isRecorder) return skip(id, 'not a recorder (NVR/DVR)');
  const result = await session.read(CHANNEL_STATUS);
  if (!result.ok) return unreadable(id, 'IP channel status', result);
  const statuses = relevant(session, readStatuses(result.doc.node));
  if (statuses.length === 0) return skip(id, 'no IP camera channels on this recorder');
  const offline = statuses.filter((status) => !status.online);
  if (offline.length === 0) return pass(id, `all ${statuses.length} IP channels online`);
  const names = new Map(session.facts.channels.map((channel) => [channel.id, channel.name]));
  const listed = offline.map((status) => {
    const why = [names.get(status.id), status.reason].filter(Boolean).join(', ');
    return `channel ${status.id}${why ? ` (${why})` : ''}`;
  });
  return warn(
    id,
    `${offline.length} of ${statuses.length} IP channels offline: ${listed.join('; ')}`,
    "Check those cameras' power and network, and the address, port and password the recorder uses for them " +
      '(Camera Management); their video, events and pictures stay unavailable until they are back online.',
  );
}

function readStatuses(node: Parameters<typeof children>[0]): ChannelStatus[] {
  return children(node, 'InputProxyChannelStatus').flatMap((status) => {
    const channel = int(status, 'id');
    if (channel === undefined) return [];
    const detected = text(status, 'chanDetectResult');
    return [
      {
        id: channel,
        online: bool(status, 'online') !== false,
        reason: detected && detected !== 'connect' ? detected : undefined,
      },
    ];
  });
}

/** With a channel selection (--channels), only those channels count. */
function relevant(session: DoctorSession, statuses: ChannelStatus[]): ChannelStatus[] {
  const wanted = new Set(session.facts.channels.map((channel) => channel.id));
  const selected = statuses.filter((status) => wanted.has(status.id));
  return selected.length > 0 ? selected : statuses;
}
