// Cache invalidation across instances (DESIGN.md, Scale-out). Each instance keeps small caches
// of facts that can change: repository ids (gone when a project is removed with its
// repositories) and whether a token's credential is still live. The instance that changes such
// a fact forgets it at once; the others are told through PostgreSQL's LISTEN/NOTIFY, so they
// forget within a moment instead of when their cache entry expires. On SQLite there is one
// instance, and nothing to tell.
//
// A NOTIFY may arrive before the change it announces is visible to another connection, so the
// receiver forgets twice: at once, and again a moment later. A listener that lost its connection
// cannot know what it missed: on reconnecting it forgets everything ("*").
import type pg from 'pg';

export type InvalidationTopic = 'repository' | 'principals' | '*';
export type InvalidationListener = (topic: InvalidationTopic, key: string) => void;

export interface Invalidations {
  /** Tells every other instance (best effort: their caches also expire on their own). */
  publish(topic: Exclude<InvalidationTopic, '*'>, key?: string): void;
  subscribe(listener: InvalidationListener): void;
  close(): Promise<void>;
}

const CHANNEL = 'berth_invalidate';
/** The second forget, after the change has surely committed. */
const AGAIN_MS = 250;

/** SQLite: a single instance; the changer forgets its own caches. */
export function localInvalidations(): Invalidations {
  return { publish: () => {}, subscribe: () => {}, close: async () => {} };
}

export async function postgresInvalidations(pgModule: typeof pg, connectionString: string, publishQuery: (payload: string) => Promise<void>, onError: (error: unknown) => void): Promise<Invalidations> {
  const listeners: InvalidationListener[] = [];
  const self = String(process.pid) + Math.random().toString(36).slice(2, 8);
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const deliver = (topic: InvalidationTopic, key: string) => {
    for (const l of listeners) l(topic, key);
  };
  const connect = async (): Promise<void> => {
    const c = new pgModule.Client({ connectionString });
    c.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      try {
        const { from, topic, key } = JSON.parse(n.payload) as { from: string; topic: InvalidationTopic; key: string };
        if (from === self) return;
        deliver(topic, key);
        setTimeout(() => deliver(topic, key), AGAIN_MS).unref();
      } catch (error) {
        onError(error);
      }
    });
    c.on('error', (error) => {
      onError(error);
      void reconnect();
    });
    await c.connect();
    await c.query(`LISTEN ${CHANNEL}`);
    client = c;
  };
  const reconnect = async () => {
    if (closed || retry) return;
    const old = client;
    client = undefined;
    await old?.end().catch(() => {});
    retry = setTimeout(() => {
      retry = undefined;
      connect().then(() => deliver('*', ''), (error: unknown) => { onError(error); void reconnect(); });
    }, 1000);
    retry.unref();
  };
  await connect();

  return {
    publish(topic, key = '') {
      publishQuery(JSON.stringify({ from: self, topic, key })).catch(onError);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}

export const INVALIDATION_CHANNEL = CHANNEL;
