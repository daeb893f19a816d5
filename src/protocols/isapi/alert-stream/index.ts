/** The alertStream reader: multipart framing plus the EventNotificationAlert / JSON extractors. */
export { boundaryFromContentType } from './content-type.ts';
export { decodeAlertBody } from './decode.ts';
export { AlertStreamParser, DEFAULT_MAX_PART_BYTES, WINDOW_BYTES } from './parser.ts';
export type {
  AccessEventInfo,
  AlertImage,
  AlertStreamParserOptions,
  DetectionInfo,
  ParseIssue,
  ParseIssueKind,
  RawAlert,
} from './types.ts';
