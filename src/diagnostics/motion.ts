/**
 * The two settings behind most "no motion events" reports: motion detection switched on with an
 * area drawn, and the motion trigger linked to "Notify Surveillance Center" (without it the
 * device detects motion but never puts it on the event stream).
 *
 * How the captures show an area: `MotionDetectionLayout/layout/gridMap` is a hex bitmap of the
 * grid cells (all zeros = nothing drawn) and/or `layout/RegionList/Region` polygons (a RegionList
 * with only its size attribute = no region). Old v1.0 firmware uses `MotionDetectionRegionList`.
 */
import { bool, child, children, descend, int, text, type XmlNode } from '../protocols/isapi/xml.ts';
import { type ChannelFinding, combineChannels, type DoctorCheck, findingOf } from './report.ts';
import { type Channel, type DoctorSession, unreadable, unreadableFinding } from './session.ts';

export interface MotionSettings {
  enabled: boolean | undefined;
  /** At least one grid cell or region is drawn. */
  areaDrawn: boolean;
  sensitivity: number | undefined;
}

export function readMotionSettings(node: XmlNode): MotionSettings {
  const layout = descend(node, 'MotionDetectionLayout/layout');
  const grid = text(layout, 'gridMap');
  const gridDrawn = grid !== undefined && /[1-9a-f]/i.test(grid);
  const regionDrawn = children(child(layout, 'RegionList'), 'Region').some(isPolygon);
  const legacyRegions = children(child(node, 'MotionDetectionRegionList'), 'MotionDetectionRegion').filter(
    (region) => bool(region, 'enabled') !== false && isPolygon(region),
  );
  return {
    enabled: bool(node, 'enabled'),
    areaDrawn: gridDrawn || regionDrawn || legacyRegions.length > 0,
    sensitivity:
      int(node, 'MotionDetectionLayout/sensitivityLevel') ?? int(legacyRegions[0], 'sensitivityLevel'),
  };
}

function isPolygon(region: XmlNode): boolean {
  return children(child(region, 'RegionCoordinatesList'), 'RegionCoordinates').length >= 3;
}

const WHERE_MOTION =
  'In the web page open Configuration > Event > Basic Event > Motion Detection (on an NVR: Event > Normal ' +
  'Event > Motion Detection, camera by camera)';

const FIX_ENABLE = `${WHERE_MOTION}, tick Enable Motion Detection, draw the area to watch and save.`;
const FIX_DRAW = `${WHERE_MOTION}, click Draw Area and cover the part of the picture to watch (or Select All), then save.`;
const FIX_SENSITIVITY = `${WHERE_MOTION} and raise the sensitivity (around 50 is a usual start), then save.`;

function motionPath(channel: Channel): string {
  return channel.source === 'proxy'
    ? `/ISAPI/ContentMgmt/InputProxy/channels/${channel.id}/video/motionDetection`
    : `/ISAPI/System/Video/inputs/channels/${channel.id}/motionDetection`;
}

export function judgeMotion(label: string, settings: MotionSettings): ChannelFinding {
  const finding = findingOf(label);
  if (settings.enabled !== true) {
    const area = settings.areaDrawn ? '' : ', and no detection area is drawn';
    return finding('warn', `motion detection is off${area}`, FIX_ENABLE);
  }
  if (!settings.areaDrawn) {
    return finding(
      'fail',
      'motion detection is on but no detection area is drawn, so it never triggers',
      FIX_DRAW,
    );
  }
  if (settings.sensitivity === 0) {
    return finding(
      'warn',
      'motion detection is on with sensitivity 0, the lowest: little or no motion is reported',
      FIX_SENSITIVITY,
    );
  }
  const sensitivity = settings.sensitivity !== undefined ? `, sensitivity ${settings.sensitivity}` : '';
  return finding('pass', `on, detection area drawn${sensitivity}`, null);
}

export async function motionDetectionCheck(session: DoctorSession): Promise<DoctorCheck> {
  const findings: ChannelFinding[] = [];
  for (const channel of session.facts.channels) {
    const label = session.channelLabel(channel);
    const result = await session.read(motionPath(channel));
    findings.push(
      result.ok
        ? judgeMotion(label, readMotionSettings(result.doc.node))
        : unreadableFinding(label, 'motion detection settings', result),
    );
  }
  return combineChannels('motion-detection', findings, 'no video channel to check');
}

// --- linkage to the surveillance center --------------------------------------------------------

const TRIGGERS = '/ISAPI/Event/triggers';
const FIX_NOTIFY =
  'In the web page open the motion detection settings of that channel (Configuration > Event > Basic Event > ' +
  'Motion Detection; on an NVR: Event > Normal Event > Motion Detection), tab Linkage Method / Linkage Action, ' +
  'tick "Notify Surveillance Center" and save. Check that the Arming Schedule covers the hours you need.';

/** The motion (VMD) trigger of a channel in a trigger list. */
export function motionTriggerOf(triggers: XmlNode[], channel: number): XmlNode | undefined {
  return triggers.find((trigger) => {
    if (text(trigger, 'eventType')?.toUpperCase() !== 'VMD') return false;
    const ids = [int(trigger, 'videoInputChannelID'), int(trigger, 'dynVideoInputChannelID')];
    return ids.includes(channel) || text(trigger, 'id') === `VMD-${channel}`;
  });
}

/** How a trigger notifies (`center`, `record`, `email`...), as listed in its notification list. */
export function notificationMethods(trigger: XmlNode): string[] {
  const list = children(child(trigger, 'EventTriggerNotificationList'), 'EventTriggerNotification');
  return list.map((n) => text(n, 'notificationMethod') ?? text(n, 'id') ?? '?');
}

export function judgeLinkage(label: string, trigger: XmlNode | undefined): ChannelFinding {
  const finding = findingOf(label);
  if (!trigger) return finding('warn', 'no motion (VMD) trigger found in the event settings', FIX_NOTIFY);
  const id = text(trigger, 'id') ?? 'VMD';
  const methods = notificationMethods(trigger);
  if (methods.some((method) => method.toLowerCase() === 'center')) {
    return finding('pass', `${id} notifies ${methods.join(', ')}`);
  }
  const now = methods.length > 0 ? `notifies ${methods.join(', ')} but not` : 'notifies nobody, not even';
  return finding(
    'fail',
    `${id} ${now} the surveillance center, so motion never reaches the event stream`,
    FIX_NOTIFY,
  );
}

export async function motionNotifyCenterCheck(session: DoctorSession): Promise<DoctorCheck> {
  const list = await session.read(TRIGGERS);
  if (!list.ok && list.reason !== 'absent')
    return unreadable('motion-notify-center', 'event trigger settings', list);
  const triggers = list.ok ? children(list.doc.node, 'EventTrigger') : [];
  const findings: ChannelFinding[] = [];
  for (const channel of session.facts.channels) {
    const label = session.channelLabel(channel);
    if (list.ok) {
      findings.push(judgeLinkage(label, motionTriggerOf(triggers, channel.id)));
      continue;
    }
    // No list on this firmware: ask for the channel's trigger on its own.
    const single = await session.read(`${TRIGGERS}/VMD-${channel.id}`);
    findings.push(
      single.ok ? judgeLinkage(label, single.doc.node) : unreadableFinding(label, 'motion trigger', single),
    );
  }
  return combineChannels('motion-notify-center', findings, 'no video channel to check');
}
