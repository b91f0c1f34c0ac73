// The payload formats by name.
import { berthFormat } from './berth.ts';
import { cloudEventsFormat } from './cloudevents.ts';
import { distributionFormat } from './distribution.ts';
import { slackFormat } from './slack.ts';
import type { Format } from './types.ts';

export type FormatName = 'berth' | 'cloudevents' | 'distribution' | 'slack';
export const FORMAT_NAMES: readonly FormatName[] = ['berth', 'cloudevents', 'distribution', 'slack'];

export const FORMATS: Record<FormatName, Format> = {
  berth: berthFormat,
  cloudevents: cloudEventsFormat,
  distribution: distributionFormat,
  slack: slackFormat,
};

export type { Format, RenderContext, Rendered } from './types.ts';
