// Data hooks: a debounced value, and a GET that cancels the previous request when its path changes
// (so a stale answer never overwrites a newer one).
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, isAbort, messageOf } from './api.ts';

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface Fetched<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** The path `data` answers (it lags `path` while the next answer loads). */
  dataFor: string | null;
  reload(): void;
  setData(update: (old: T | undefined) => T | undefined): void;
}

/** GET `path` (null: nothing to fetch); keeps the last answer while the next one loads. */
export function useFetch<T>(path: string | null): Fetched<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean; for: string | null }>({ data: undefined, error: undefined, loading: path !== null, for: null });
  const [nonce, setNonce] = useState(0);
  const current = useRef<AbortController | null>(null);

  useEffect(() => {
    if (path === null) {
      setState({ data: undefined, error: undefined, loading: false, for: null });
      return;
    }
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    api<T>(path, { signal: controller.signal }).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: undefined, loading: false, for: path });
      },
      (error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        setState((s) => ({ data: s.for === path ? s.data : undefined, error, loading: false, for: path }));
      },
    );
    return () => controller.abort();
  }, [path, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const setData = useCallback((update: (old: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { data: state.data, error: state.error, loading: state.loading, dataFor: state.for, reload, setData };
}

/** Sets document.title while a page is shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Berth` : 'Berth';
  }, [title]);
}

/**
 * A change made from a list page: runs it, then reloads the list; a refusal becomes `error`
 * (shown next to the form) and leaves the list as it was.
 */
export function useListAction(reload: () => void): { error: string | undefined; run: (change: () => Promise<unknown>) => Promise<void> } {
  const [error, setError] = useState<string>();
  const run = useCallback(async (change: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await change();
      reload();
    } catch (e) {
      setError(messageOf(e));
    }
  }, [reload]);
  return { error, run };
}
