// The in-process bus for domain events. Subscribers run synchronously after the change is
// committed; a failing subscriber is reported and never fails the request that emitted.
import type { EventOf, RegistryEvent, RegistryEventType } from '../core/events.ts';

type Handler<T extends RegistryEventType> = (event: EventOf<T>) => void;

export class EventBus {
  private readonly handlers = new Map<RegistryEventType | '*', ((e: RegistryEvent) => void)[]>();

  constructor(private readonly onError: (error: unknown, event: RegistryEvent) => void = () => {}) {}

  on<T extends RegistryEventType>(type: T, handler: Handler<T>): () => void {
    return this.add(type, handler as (e: RegistryEvent) => void);
  }

  /** Subscribes to every event type. */
  onAny(handler: (event: RegistryEvent) => void): () => void {
    return this.add('*', handler);
  }

  emit(event: RegistryEvent): void {
    for (const key of [event.type, '*'] as const) {
      for (const handler of this.handlers.get(key) ?? []) {
        try {
          handler(event);
        } catch (error) {
          this.onError(error, event);
        }
      }
    }
  }

  private add(key: RegistryEventType | '*', handler: (e: RegistryEvent) => void): () => void {
    const list = this.handlers.get(key) ?? [];
    list.push(handler);
    this.handlers.set(key, list);
    return () => {
      const i = list.indexOf(handler);
      if (i >= 0) list.splice(i, 1);
    };
  }
}
