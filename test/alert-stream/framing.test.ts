/**
 * Real captures through the delimiter-line quirks devices have: boundary from the header, a
 * header that names another boundary than the one used, MIME_boundary, none at all (after a
 * preamble), blank lines, a closing delimiter, a body on one line running into the next
 * delimiter. Split at every byte. (Length and line-ending quirks: lengths.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { BOUNDARY_VARIANTS, jsonCaptures, xmlCaptures } from './support.ts';
import { describeVariants } from './variants.ts';

describe('the captures under test', () => {
  it('every EventNotificationAlert capture and every distinct doorbell alert payload', () => {
    expect(xmlCaptures().map((c) => c.name)).toEqual([
      'cam1_DS-2CD2T46G2-ISU_io_notification.xml',
      'fielddetection_human.xml',
      'fielddetection_vehicle.xml',
      'ipc_1_fielddetection.xml',
      'pir.xml',
    ]);
    // 12 payloads in the two captures; repeated events (5/92 three times, 5/25 twice...) once each.
    const codes = jsonCaptures().map((c) => {
      const payload = JSON.parse(c.body.toString()) as {
        eventType: string;
        AccessControllerEvent?: { majorEventType: number; subEventType: number };
      };
      const access = payload.AccessControllerEvent;
      return access ? `${access.majorEventType}/${access.subEventType}` : payload.eventType;
    });
    expect(codes.sort()).toEqual(['1/1028', '3/1024', '5/21', '5/216', '5/22', '5/25', '5/92', 'videoloss']);
  });
});

describeVariants('delimiter-line quirks', BOUNDARY_VARIANTS);
