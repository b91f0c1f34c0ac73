// The immutability feature's answers as the API and the CLI give them (zod schemas: the OpenAPI
// document and the CLI's types come from the same place).
import { z } from 'zod';

export const ImmutableRuleSchema = z.object({
  id: z.number().int().describe('the rule number messages name ("rule 3")'),
  repos: z.string().describe('pattern over the repository path inside the project: "**" every repository, "app" team/app only, "app/*" one level under it, "app/**" app and everything under it'),
  tags: z.string().describe('pattern over tag names: "v*", "{latest,stable}", "release-[0-9]*"'),
  createdAt: z.string().describe('ISO 8601'),
  createdBy: z.string(),
});
export type ImmutableRuleView = z.infer<typeof ImmutableRuleSchema>;

export const ImmutableRulesSchema = z.object({
  project: z.string(),
  rules: z.array(ImmutableRuleSchema),
  editable: z.boolean().describe('whether the caller may add and remove rules (owners, maintainers, administrators)'),
});
export type ImmutableRulesView = z.infer<typeof ImmutableRulesSchema>;

export const ImmutableTagsSchema = z.object({
  repository: z.string(),
  tags: z.record(z.string(), z.object({
    immutable: z.boolean(),
    rule: ImmutableRuleSchema.pick({ id: true, repos: true, tags: true }).nullable().describe('the rule that makes it immutable'),
  })).describe('each asked tag that exists in the repository (untagged digests are never immutable; a tag that does not exist is left out)'),
});
export type ImmutableTagsView = z.infer<typeof ImmutableTagsSchema>;
