// Who is acting, passed from http/ into services so events and audit can name them.
import type { EventActor } from '../core/events.ts';

export interface RequestContext {
  readonly actor: EventActor;
  readonly requestId?: string;
}

export const SYSTEM_CONTEXT: RequestContext = { actor: { name: 'system' } };
