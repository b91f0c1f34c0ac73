// A small history router: the URL is the state (path and query), links are real <a href>s so
// they open in new tabs, and navigation is pushState plus one event.
import { useCallback, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const EVENT = 'berth:navigate';

function subscribe(notify: () => void): () => void {
  window.addEventListener('popstate', notify);
  window.addEventListener(EVENT, notify);
  return () => {
    window.removeEventListener('popstate', notify);
    window.removeEventListener(EVENT, notify);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  if (!options.replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  query: URLSearchParams;
}

export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, snapshot);
  const q = href.indexOf('?');
  return { path: q < 0 ? href : href.slice(0, q), query: new URLSearchParams(q < 0 ? '' : href.slice(q)) };
}

/** Reads and writes one page's query parameters; defaults are left out of the URL. */
export function useQueryState(): [URLSearchParams, (changes: Record<string, string | undefined>, options?: { replace?: boolean }) => void] {
  const { path, query } = useLocation();
  const set = useCallback((changes: Record<string, string | undefined>, options: { replace?: boolean } = {}) => {
    const next = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    const s = next.toString();
    navigate(`${window.location.pathname}${s ? `?${s}` : ''}`, { replace: options.replace });
  }, []);
  void path;
  return [query, set];
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children: ReactNode };

export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  );
}

/** The UI's own paths. */
export const paths = {
  search: (q?: string) => (q ? `/search?q=${encodeURIComponent(q)}` : '/search'),
  repository: (name: string) => `/r/${name}`,
  tags: (name: string) => `/r/${name}/-/tags`,
  /** Maintainers', owners' and administrators' settings of a repository. */
  repositorySettings: (name: string) => `/r/${name}/-/settings`,
  image: (name: string, digest: string) => `/r/${name}/-/images/${digest}`,
  /** The scan report of one tag or digest of a repository. */
  scan: (name: string, reference: string) => `/r/${name}/-/scan/${encodeURIComponent(reference)}`,
  /** The signatures of one tag or digest of a repository. */
  signatures: (name: string, reference: string) => `/r/${name}/-/signatures/${encodeURIComponent(reference)}`,
  project: (name: string, tab?: string) => `/projects/${encodeURIComponent(name)}${tab ? `/${tab}` : ''}`,
  admin: (tab?: string) => `/admin${tab ? `/${tab}` : ''}`,
  account: (tab?: string) => `/account${tab ? `/${tab}` : ''}`,
  signIn: (next?: string) => (next && next !== '/' ? `/signin?next=${encodeURIComponent(next)}` : '/signin'),
};
