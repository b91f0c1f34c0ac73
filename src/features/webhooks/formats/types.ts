// A payload format turns a stored event into a request body.
import type { StoredEvent } from '../event.ts';

export interface RenderContext {
  /** host[:port] clients pull from, for pull commands and URLs. */
  readonly registryHost: string;
  readonly instanceId: string;
}

export interface Rendered {
  readonly contentType: string;
  readonly body: string;
}

export type Format = (event: StoredEvent, ctx: RenderContext) => Rendered;

export function pullCommand(e: StoredEvent, ctx: RenderContext): string {
  return `docker pull ${ctx.registryHost}/${e.repository}@${e.digest}`;
}
