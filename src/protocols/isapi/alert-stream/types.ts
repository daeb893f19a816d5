/** What the alertStream reader hands out. Field meanings follow notes/isapi.md ("Event stream"). */

export interface DetectionInfo {
  regionId: number | null;
  /** human, vehicle, ... as sent, lower-cased. */
  target: string | null;
  /** Normalised 0..1 box as sent (TargetRect X/Y/width/height). */
  rect: { x: number; y: number; width: number; height: number } | null;
}

export interface AccessEventInfo {
  major: number;
  minor: number;
  door: number | null;
  serialNo: number | null;
  /** false = a replayed history event, not a new one. */
  currentEvent: boolean | null;
  cardNo: string | null;
  name: string | null;
}

export interface RawAlert {
  format: 'xml' | 'json';
  /** As sent, e.g. 'VMD', 'fielddetection', 'AccessControllerEvent', 'duration'. */
  eventType: string;
  /** The real type behind the 'duration' wrapper (DurationList/Duration/relationEvent). */
  relationEvent: string | null;
  /** 'active' | 'inactive' as sent, lower-cased; 'active' when the device left it out. */
  eventState: string;
  /** channelID, else dynChannelID. */
  channelId: number | null;
  /** inputIOPortID, else dynInputIOPortID. */
  inputPortId: number | null;
  /** As sent (may lack an offset). */
  dateTime: string | null;
  /** An empty element gives null. */
  activePostCount: number | null;
  description: string | null;
  channelName: string | null;
  ipAddress: string | null;
  macAddress: string | null;
  detections: DetectionInfo[];
  /** Doorbells / access control. */
  access: AccessEventInfo | null;
  /** A small, bounded set of other useful scalar fields (see EXTRA_FIELDS). */
  extra: Record<string, string>;
}

export interface AlertImage {
  contentType: string;
  /**
   * The picture. It may share memory with a chunk given to push() (no copy): chunks must not be
   * reused after push(), which holds for network streams. Copy it to keep it past the chunk's
   * natural life if memory matters (a view keeps its whole chunk alive).
   */
  data: Buffer;
}

export type ParseIssueKind =
  | 'part-too-large'
  | 'malformed-part'
  | 'unknown-content-type'
  | 'truncated-part'
  | 'garbage';

/**
 * Something in the stream that was not a readable part. `bytesSkipped` counts the bytes lost to
 * it: 0 when the part was still read (e.g. a wrong Content-Length, recovered at the delimiter).
 */
export interface ParseIssue {
  kind: ParseIssueKind;
  detail: string;
  bytesSkipped: number;
}

export interface AlertStreamParserOptions {
  /** From the response's Content-Type header, if any (see boundaryFromContentType). */
  boundary?: string;
  /** Default 2 MiB; larger parts are skipped without buffering them. */
  maxPartBytes?: number;
  /** Called as soon as the part is complete (no waiting for a following image). */
  onAlert(alert: RawAlert): void;
  /** An image part, linked to the alert of the part just before it (null if that was no alert). */
  onImage?(image: AlertImage, previous: RawAlert | null): void;
  onIssue?(issue: ParseIssue): void;
}
