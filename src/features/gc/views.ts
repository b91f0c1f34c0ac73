// The API's shapes of GC status, runs and a pass's summary.
import { z } from 'zod';

export const GcRunSchema = z.object({
  id: z.number().int(),
  trigger: z.string().describe('worker, cli or api'),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  manifests: z.number().int(),
  blobs: z.number().int(),
  bytes: z.number().int(),
  uploads: z.number().int().describe('stale upload sessions and temp files removed'),
  error: z.string().nullable(),
});

export const GcSummarySchema = z.object({
  dryRun: z.boolean(),
  manifests: z.number().int().describe('manifest links collected'),
  blobs: z.number().int().describe('blob rows collected'),
  bytes: z.number().int().describe('bytes of what was collected (removed from storage after gc.byteDeleteDelaySeconds)'),
  bytesRemoved: z.number().int(),
  objectsRemoved: z.number().int(),
  uploads: z.number().int(),
  tempFiles: z.number().int(),
  reviewed: z.number().int(),
  waiting: z.object({ manifests: z.number().int(), blobs: z.number().int(), nextDueAt: z.number().nullable() }),
  pendingBytes: z.number().int(),
  durationMs: z.number(),
});

export const GcStatusSchema = z.object({
  enabled: z.boolean(),
  intervalSeconds: z.number(),
  reviewDelaySeconds: z.number(),
  lastRun: GcRunSchema.nullable(),
  lastCollection: GcRunSchema.nullable(),
  nextRunAt: z.string().nullable(),
  queue: z.object({ manifests: z.number().int(), blobs: z.number().int(), byteDeletes: z.number().int() }),
  waiting: z.object({ manifests: z.number().int(), blobs: z.number().int(), nextDueAt: z.number().nullable() }),
  bytesFreed: z.number().int(),
});
