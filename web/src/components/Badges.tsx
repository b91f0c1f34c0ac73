import type { Badges as BadgeFlags } from '../types.ts';

const ICONS = {
  official: (
    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M8 1.5 9.9 3l2.4-.1.7 2.3 2 1.4-.8 2.3.8 2.3-2 1.4-.7 2.3-2.4-.1L8 16.3 6.1 14.8l-2.4.1-.7-2.3-2-1.4.8-2.3-.8-2.3 2-1.4.7-2.3 2.4.1z" fill="currentColor" opacity=".18" />
      <path d="m5.2 8.3 1.9 1.9 3.8-4" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  ),
  verified: (
    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M8 1 2.5 3.2v4.1c0 3.3 2.3 6.3 5.5 7.2 3.2-.9 5.5-3.9 5.5-7.2V3.2z" fill="currentColor" opacity=".18" />
      <path d="m5.3 8 1.9 1.9 3.5-3.6" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  ),
  sponsored: (
    <svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path d="M8 14s-5.5-3.3-5.5-7.2A3 3 0 0 1 8 5a3 3 0 0 1 5.5 1.8C13.5 10.7 8 14 8 14z" fill="currentColor" />
    </svg>
  ),
};

export function Badges({ badges, visibility }: { badges: BadgeFlags; visibility?: 'public' | 'private' }) {
  if (!badges.official && !badges.verifiedPublisher && !badges.sponsoredOss && visibility !== 'private') return null;
  return (
    <span className="badges">
      {badges.official && (
        <span className="badge badge-official" title="Official Image: curated in the library project">
          {ICONS.official}Official Image
        </span>
      )}
      {badges.verifiedPublisher && (
        <span className="badge badge-verified" title="Verified Publisher: the project is verified by the registry's administrators">
          {ICONS.verified}Verified Publisher
        </span>
      )}
      {badges.sponsoredOss && (
        <span className="badge badge-sponsored" title="Sponsored OSS: an open-source project sponsored by this registry">
          {ICONS.sponsored}Sponsored OSS
        </span>
      )}
      {visibility === 'private' && <span className="badge badge-private">Private</span>}
    </span>
  );
}

export function VisibilityBadge({ visibility }: { visibility: 'public' | 'private' }) {
  return <span className={`badge ${visibility === 'private' ? 'badge-private' : 'badge-public'}`}>{visibility === 'private' ? 'Private' : 'Public'}</span>;
}
