// What the API and the CLI show of a proxy project (never its password).
import { z } from 'zod';

export const ProxyProjectSchema = z.object({
  project: z.string(),
  upstream: z.string(),
  username: z.string().nullable(),
  hasPassword: z.boolean(),
  tagTtl: z.string().describe('PATTERN=DURATION,... (first match wins)'),
  createdAt: z.string(),
  createdBy: z.string(),
});

export type ProxyProjectView = z.infer<typeof ProxyProjectSchema>;
