/**
 * A small history-API router: the location is React state, links are real
 * `<a href>` elements (keyboard, middle-click and copy-link keep working)
 * and a plain click navigates without reloading.
 */
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

const listeners = new Set<() => void>();

/** Goes to `href` inside the app. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

/** The current pathname and query, updated on navigation and back/forward. */
export function useLocation(): { pathname: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return { pathname: location.pathname, query: new URLSearchParams(location.search) };
}

/** An in-app link. */
export function Link({ href, onClick, children, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} {...rest} onClick={follow}>
      {children}
    </a>
  );
}

/** Href helpers, so every page builds links the same way. */
export const paths = {
  dashboard: () => '/',
  device: (device: string) => `/devices/${encodeURIComponent(device)}`,
  /** `line`: highlighted in the newest version's content (and its anchor, so the browser keeps it in view). */
  file: (device: string, path: string, line?: number | null) =>
    `/devices/${encodeURIComponent(device)}/file?path=${encodeURIComponent(path)}${line ? `&line=${line}#L${line}` : ''}`,
  drift: (device: string) => `/devices/${encodeURIComponent(device)}/drift`,
  graph: (device: string) => `/devices/${encodeURIComponent(device)}/graph`,
  compliance: (device: string) => `/devices/${encodeURIComponent(device)}/compliance`,
  alerts: () => '/alerts',
  changes: () => '/changes',
  change: (id: string) => `/changes/${encodeURIComponent(id)}`,
  templates: () => '/templates',
};

export type Route =
  | { readonly page: 'dashboard' }
  | { readonly page: 'device'; readonly device: string }
  | { readonly page: 'file'; readonly device: string; readonly path: string; readonly line: number | null }
  | { readonly page: 'drift'; readonly device: string }
  | { readonly page: 'graph'; readonly device: string }
  | { readonly page: 'compliance'; readonly device: string }
  | { readonly page: 'alerts' }
  | { readonly page: 'changes' }
  | { readonly page: 'change'; readonly id: string }
  | { readonly page: 'templates' }
  | { readonly page: 'not-found' };

/** Maps a location to the page it shows. */
export function matchRoute(pathname: string, query: URLSearchParams): Route {
  if (pathname === '/' || pathname === '') return { page: 'dashboard' };
  if (pathname === '/alerts' || pathname === '/alerts/') return { page: 'alerts' };
  if (pathname === '/changes' || pathname === '/changes/') return { page: 'changes' };
  const change = /^\/changes\/([^/]+)\/?$/.exec(pathname);
  if (change) return { page: 'change', id: decodeURIComponent(change[1] as string) };
  if (pathname === '/templates' || pathname === '/templates/') return { page: 'templates' };
  const match = /^\/devices\/([^/]+)(?:\/(file|drift|graph|compliance))?\/?$/.exec(pathname);
  if (!match) return { page: 'not-found' };
  const device = decodeURIComponent(match[1] as string);
  switch (match[2]) {
    case undefined:
      return { page: 'device', device };
    case 'file': {
      const path = query.get('path');
      const line = Number(query.get('line'));
      return path ? { page: 'file', device, path, line: Number.isInteger(line) && line > 0 ? line : null } : { page: 'not-found' };
    }
    case 'drift':
      return { page: 'drift', device };
    case 'compliance':
      return { page: 'compliance', device };
    default:
      return { page: 'graph', device };
  }
}
