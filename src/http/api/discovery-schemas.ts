// The shapes the discovery routes answer with (docs/discovery.md): one definition shared by
// search, project repository lists and the repository page, so every list shows a repository
// the same way, badges included.
import { z } from 'zod';
import { OFFICIAL_PROJECT } from '../../core/reference.ts';
import type { RepositorySummaryRow } from '../../metadata/repository-pages.ts';

export const BadgesSchema = z.object({
  official: z.boolean().describe('in the library project'),
  verifiedPublisher: z.boolean().describe('the project is marked verified by an administrator'),
  sponsoredOss: z.boolean().describe('the project is marked sponsored open source by an administrator'),
});

export const RepositorySummarySchema = z.object({
  name: z.string().describe('canonical name, project/repository'),
  project: z.string(),
  repository: z.string().describe('the name without its project'),
  description: z.string().describe('markdown: the README'),
  shortDescription: z.string().describe('one line under the name, at most 100 characters'),
  labels: z.array(z.string()),
  badges: BadgesSchema,
  pullCount: z.number().int(),
  starCount: z.number().int(),
  tagCount: z.number().int(),
  updatedAt: z.string().describe('ISO 8601: the last change to a tag or manifest'),
  lastPulledAt: z.string().nullable(),
  visibility: z.enum(['public', 'private']),
});

export const RepositoryDetailSchema = RepositorySummarySchema.extend({
  starred: z.boolean().describe('false when signed out'),
  lastPushedAt: z.string().nullable(),
  pullCommand: z.string(),
  shortPullCommand: z.string().optional().describe('library repositories: the short form'),
  permissions: z.object({ push: z.boolean(), delete: z.boolean(), edit: z.boolean() }),
});

export const PlatformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  digest: z.string(),
  size: z.number().int().describe('compressed: config plus layers'),
  mediaType: z.string(),
});

export const TagViewSchema = z.object({
  name: z.string(),
  digest: z.string(),
  mediaType: z.string(),
  size: z.number().int().describe('compressed; for an index, the sum over its platforms'),
  pushedAt: z.string(),
  lastPulledAt: z.string().nullable(),
  pullCount: z.number().int(),
  platforms: z.array(PlatformSchema),
  artifactType: z.string().optional(),
});

export type RepositorySummary = z.infer<typeof RepositorySummarySchema>;
export type RepositoryDetail = z.infer<typeof RepositoryDetailSchema>;
export type TagView = z.infer<typeof TagViewSchema>;
export type Platform = z.infer<typeof PlatformSchema>;


export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export function splitLabels(labels: string): string[] {
  return labels.split(/\s+/).filter((l) => l !== '');
}

export function toRepositorySummary(row: Omit<RepositorySummaryRow, 'id'>): RepositorySummary {
  return {
    name: row.name,
    project: row.project,
    repository: row.name.slice(row.project.length + 1),
    description: row.description,
    shortDescription: row.short_description ?? '',
    labels: splitLabels(row.labels),
    badges: {
      official: row.project === OFFICIAL_PROJECT,
      verifiedPublisher: Number(row.verified) === 1,
      sponsoredOss: Number(row.sponsored) === 1,
    },
    pullCount: Number(row.pull_count),
    starCount: Number(row.star_count),
    tagCount: Number(row.tag_count),
    updatedAt: iso(row.updated_at),
    lastPulledAt: iso(row.last_pulled_at),
    visibility: row.visibility,
  };
}
