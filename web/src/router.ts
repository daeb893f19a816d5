/**
 * Hash routes (`#/events?device=x`): every screen has an address that survives a reload and
 * can be bookmarked, and the gateway needs no fallback route for them.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  /** Path parts: `#/devices/abc` → ['devices', 'abc']. */
  parts: string[];
  query: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = hash.split('?');
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(query),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** The href of a route: `href('devices', id)`, `href('events', undefined, {device: id})`. */
export function href(...parts: (string | undefined | Record<string, string | undefined>)[]): string {
  const path = parts.filter((p): p is string => typeof p === 'string').map(encodeURIComponent);
  const query = parts.find(
    (p): p is Record<string, string | undefined> => typeof p === 'object' && p !== null,
  );
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
  const search = params.toString();
  return `#/${path.join('/')}${search ? `?${search}` : ''}`;
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, '');
}
