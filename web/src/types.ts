// The shapes of /api/v1 answers the UI reads (docs/discovery.md, docs/api.md).
export type Role = 'owner' | 'maintainer' | 'developer' | 'guest';

export interface Badges {
  official: boolean;
  verifiedPublisher: boolean;
  sponsoredOss: boolean;
}

export interface RepositorySummary {
  name: string;
  project: string;
  repository: string;
  description: string;
  labels: string[];
  badges: Badges;
  pullCount: number;
  starCount: number;
  tagCount: number;
  updatedAt: string;
  lastPulledAt: string | null;
  visibility: 'public' | 'private';
}

export interface RepositoryDetail extends RepositorySummary {
  starred: boolean;
  lastPushedAt: string | null;
  pullCommand: string;
  shortPullCommand?: string;
  permissions: { push: boolean; delete: boolean; edit: boolean };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  digest: string;
  size: number;
  mediaType: string;
}

export interface TagView {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
  pushedAt: string;
  lastPulledAt: string | null;
  pullCount: number;
  platforms: Platform[];
  artifactType?: string;
}

export interface Page {
  total: number;
  page: number;
  n: number;
}

export interface SearchAnswer extends Page {
  results: RepositorySummary[];
}

export interface RepositoryList extends Page {
  repositories: RepositorySummary[];
}

export interface TagList extends Page {
  tags: TagView[];
}

export interface Me {
  kind: 'user' | 'robot';
  name: string;
  admin: boolean;
  via?: string;
  projects?: { name: string; role: string }[];
}

export interface Project {
  name: string;
  visibility: 'public' | 'private';
  description: string;
  createdAt: string;
  role?: Role;
  verified?: boolean;
  sponsored?: boolean;
}

export interface Member {
  user: string;
  role: Role;
  since: string;
}

export interface Robot {
  name: string;
  description: string;
  permissions: { project: string; actions: string[] }[];
  expiresAt: string | null;
  disabled: boolean;
  expired: boolean;
  createdBy: string;
  createdAt: string;
}

export interface User {
  name: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  project: string | null;
  repository: string | null;
  reference: string | null;
  address: string | null;
  outcome: string;
  detail: string | null;
}
