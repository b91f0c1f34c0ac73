// CloudEvents 1.0, structured JSON mode: the envelope's attributes, Berth's payload as data.
import type { StoredEvent } from '../event.ts';
import { BERTH_TYPES, berthPayload } from './berth.ts';
import type { RenderContext, Rendered } from './types.ts';

export function cloudEventsFormat(e: StoredEvent, ctx: RenderContext): Rendered {
  const body = {
    specversion: '1.0',
    id: e.id,
    source: `/berth/${ctx.registryHost}`,
    type: `io.berth.${BERTH_TYPES[e.type]}`,
    subject: e.quota !== undefined ? e.project : e.tag !== undefined ? `${e.repository}:${e.tag}` : `${e.repository}@${e.digest}`,
    time: e.time,
    datacontenttype: 'application/json',
    data: berthPayload(e, ctx),
  };
  return { contentType: 'application/cloudevents+json; charset=utf-8', body: JSON.stringify(body) };
}
