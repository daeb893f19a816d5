/**
 * `Event/triggers/{id}` (e.g. `VMD-1`): devices answer one trigger on its own; captures mostly
 * record only the list, so a trigger the capture lacks is cut out of `Event/triggers`.
 */
import type { RouteRequest } from '../context.ts';
import { asList, dig, isDict, rootOf, text } from '../dict.ts';
import type { FixtureEntry, XmlDict } from '../types.ts';
import { serveEntry } from './fixture.ts';
import type { Route } from './route.ts';

function triggerEntry(r: RouteRequest, id: string): FixtureEntry | undefined {
  const list = rootOf(r.device.model.isapi, 'Event/triggers');
  const trigger = asList(dig(list, 'EventTrigger')).find(
    (item): item is XmlDict => isDict(item) && text(item.id) === id,
  );
  if (!trigger) return undefined;
  const attributes = { '@version': text(list?.['@version']) ?? '2.0', '@xmlns': r.device.model.namespace };
  return { response: { EventTrigger: { ...attributes, ...trigger } } };
}

export const triggerRoutes: Route[] = [
  {
    pattern: /^Event\/triggers\/([^/]+)$/,
    methods: ['GET', 'PUT'],
    handle(r, match) {
      const recorded = r.device.model.isapi[r.path];
      serveEntry(r, recorded ?? triggerEntry(r, match[1]!));
    },
  },
];
