// What this server offers beyond the core (GET /capabilities): the UI shows a feature's controls
// only when the server lists it. Asked once per page load; every caller shares the answer.
import { useEffect, useState } from 'react';
import { api } from './api.ts';

let answer: Promise<ReadonlySet<string>> | undefined;
let known: ReadonlySet<string> | undefined;

function load(): Promise<ReadonlySet<string>> {
  answer ??= api<{ features: string[] }>('/capabilities').then(
    (r) => (known = new Set(r.features)),
    () => {
      // Not known (an old server, a network error): no optional feature is shown; ask again later.
      answer = undefined;
      return new Set<string>();
    },
  );
  return answer;
}

/** The server's features; undefined until they are known. */
export function useCapabilities(): ReadonlySet<string> | undefined {
  const [features, setFeatures] = useState(known);
  useEffect(() => {
    // Known by now (another component's request answered between this one's render and this
    // effect): take it, or this component would wait for an answer that already came.
    if (known) {
      setFeatures(known);
      return;
    }
    let live = true;
    void load().then((f) => {
      if (live) setFeatures(f);
    });
    return () => {
      live = false;
    };
  }, []);
  return features;
}

/** Whether the server lists `feature` (false while unknown). */
export function useCapability(feature: string): boolean {
  return useCapabilities()?.has(feature) ?? false;
}
