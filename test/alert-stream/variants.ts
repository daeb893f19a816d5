/**
 * The variant test shared by framing.test.ts and lengths.test.ts (two files, so the two halves
 * run on both workers): each capture decodes exactly as decodeAlertBody reads it alone, its
 * picture is linked to it, and the stream split in two at every byte, or fed byte by byte, gives
 * exactly the same alerts, pictures and issues.
 */
import { describe, expect, it } from 'vitest';
import { decodeAlertBody } from '../../src/protocols/isapi/alert-stream/index.ts';
import {
  COMPARED_FIELDS,
  frame,
  JPEG,
  jsonCaptures,
  type Parsed,
  parse,
  partsFor,
  sameResult,
  type Variant,
  xmlCaptures,
} from './support.ts';

/** What a failure shows: the readable result, not the signature. */
function readable(parsed: Parsed) {
  return {
    alerts: parsed.alerts,
    images: parsed.images.map(({ image, previous }) => ({ size: image.data.length, previous })),
    issues: parsed.issues,
  };
}

export function describeVariants(title: string, variants: Variant[]): void {
  const captures = [...xmlCaptures(), ...jsonCaptures()];
  describe(title, () => {
    for (const variant of variants) {
      it(`${variant.name}: decoded as alone, identical when split at every byte`, () => {
        let splits = 0;
        for (const capture of captures) {
          const parts = partsFor(capture);
          const { stream, contentType } = frame(parts, variant.options);
          const whole = parse(stream, { contentType });
          const expected = parts
            .filter((part) => part.type !== 'image/jpeg')
            .map((part) => decodeAlertBody(part.body, part.type));
          expect(whole.alerts, capture.name).toEqual(expected);
          expect(Object.keys(whole.alerts[0]!).sort()).toEqual([...COMPARED_FIELDS].sort());
          expect(
            whole.images.map(({ image, previous }) => [image.contentType, image.data, previous]),
          ).toEqual(capture.picture ? [['image/jpeg', JPEG, 0]] : []);
          expect(
            whole.issues.map((issue) => issue.kind),
            capture.name,
          ).toEqual(variant.issues);

          for (let at = 1; at < stream.length; at++) {
            const halves = parse(stream, { contentType }, [at]);
            // The cheap comparison runs on every split; expect() only to show a difference.
            if (!sameResult(halves, whole))
              expect({ at, ...readable(halves) }).toEqual({ at, ...readable(whole) });
            splits++;
          }
          const everyByte = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
          expect(readable(parse(stream, { contentType }, everyByte)), `${capture.name} byte by byte`).toEqual(
            readable(whole),
          );
        }
        expect(splits).toBeGreaterThan(8000);
      });
    }
  });
}
