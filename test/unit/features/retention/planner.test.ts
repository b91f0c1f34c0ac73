// The retention planner, pure: given tags with push and pull times and the manifests they name,
// which tags each rule keeps (OR), what is in scope, immutability, cosign tags that follow their
// image, untagged manifests (platforms of kept indexes and referrers spared, the grace period),
// and the bytes that nothing kept references any more.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesGlob } from '../../../../src/core/tag-rules.ts';
import { DAY_MS, formatBytes, plan, summaryText, type Inventory, type InventoryManifest, type InventoryRepository, type InventoryTag, type Plan } from '../../../../src/features/retention/planner.ts';
import { parsePolicy } from '../../../../src/features/retention/rules.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const cosign = (n: number, kind = 'sig') => `${d(n).replace(':', '-')}.${kind}`;

/** A tag pushed `pushedDaysAgo` days ago, pulled `pulledDaysAgo` days ago (or never). */
function tag(name: string, digest: string, pushedDaysAgo: number, pulledDaysAgo: number | null = null): InventoryTag {
  return { tag: name, digest, pushedAt: NOW - pushedDaysAgo * DAY_MS, pulledAt: pulledDaysAgo === null ? null : NOW - pulledDaysAgo * DAY_MS };
}

interface RepoSpec { path: string; tags: InventoryTag[]; untagged?: { digest: string; daysAgo: number; subject?: string }[] }

function inventory(repos: RepoSpec[], manifests: Record<string, Partial<InventoryManifest>> = {}): Inventory {
  const all = new Map<string, InventoryManifest>();
  const manifestOf = (digest: string): InventoryManifest => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 100, children: [], blobs: [[`${digest}-layer`, 1000]], ...manifests[digest] });
  const repositories: InventoryRepository[] = repos.map((r) => {
    const links = new Map<string, { digest: string; subject: string | null; pushedAt: number }>();
    for (const t of r.tags) links.set(t.digest, { digest: t.digest, subject: null, pushedAt: t.pushedAt });
    for (const u of r.untagged ?? []) links.set(u.digest, { digest: u.digest, subject: u.subject ?? null, pushedAt: NOW - u.daysAgo * DAY_MS });
    for (const digest of [...links.keys()]) for (const c of manifestOf(digest).children) if (!links.has(c)) links.set(c, { digest: c, subject: null, pushedAt: links.get(digest)!.pushedAt });
    for (const digest of links.keys()) all.set(digest, manifestOf(digest));
    return { name: `acme/${r.path}`, path: r.path, tags: r.tags, manifests: [...links.values()] };
  });
  return { project: 'acme', repositories, manifests: all };
}

function run(inv: Inventory, yaml: string, immutable?: (repository: string, tag: string) => boolean): Plan {
  return plan(inv, parsePolicy(yaml), { now: NOW, ...(immutable ? { immutable } : {}) }, matchesGlob);
}

const deleted = (p: Plan, repo = 'acme/app') => (p.repositories.find((r) => r.repository === repo)?.deleteTags ?? []).map((t) => t.tag).sort();
const kept = (p: Plan, repo = 'acme/app') => (p.repositories.find((r) => r.repository === repo)?.keepTags ?? []).map((t) => t.tag).sort();
const untagged = (p: Plan, repo = 'acme/app') => (p.repositories.find((r) => r.repository === repo)?.deleteManifests ?? []).map((m) => m.digest);

describe('retention planner: rule kinds', () => {
  const app = () => inventory([{
    path: 'app',
    tags: [tag('a', d(1), 1, 40), tag('b', d(2), 5, 2), tag('c', d(3), 10, null), tag('d', d(4), 20, 1), tag('e', d(5), 60, 100), tag('v1.0', d(6), 90, null), tag('v2.0', d(7), 3, null)],
  }]);

  it('keeps the N most recently pushed (per repository); the rest is deleted', () => {
    const p = run(app(), 'rules:\n  - mostRecentlyPushed: 3\n');
    assert.deepEqual(kept(p), ['a', 'b', 'v2.0']);
    assert.deepEqual(deleted(p), ['c', 'd', 'e', 'v1.0']);
    assert.equal(p.repositories[0]!.deleteTags[0]!.tag, 'v1.0', 'deleted oldest push first');
    assert.deepEqual(p.repositories[0]!.keepTags.find((t) => t.tag === 'a')!.reasons, ['rule 1: the 3 most recently pushed']);
    assert.deepEqual(p.repositories[0]!.deleteTags.find((t) => t.tag === 'c')!.reasons, ['no rule keeps it']);
  });

  it('keeps the N most recently pulled; never-pulled tags rank last, newest push first', () => {
    assert.deepEqual(kept(run(app(), 'rules:\n  - mostRecentlyPulled: 2\n')), ['b', 'd']);
    // Four were ever pulled (d 1, b 2, a 40, e 100 days ago); the fifth and sixth are the newest never-pulled pushes.
    assert.deepEqual(kept(run(app(), 'rules:\n  - mostRecentlyPulled: 6\n')), ['a', 'b', 'c', 'd', 'e', 'v2.0']);
  });

  it('keeps those pushed within D days, and those pulled within D days (never pulled: not)', () => {
    assert.deepEqual(kept(run(app(), 'rules:\n  - pushedWithinDays: 7\n')), ['a', 'b', 'v2.0']);
    assert.deepEqual(kept(run(app(), 'rules:\n  - pulledWithinDays: 30\n')), ['b', 'd']);
  });

  it('keeps by tag pattern; always keeps its whole scope', () => {
    assert.deepEqual(kept(run(app(), 'rules:\n  - tagsMatching: "v*"\n')), ['v1.0', 'v2.0']);
    assert.deepEqual(deleted(run(app(), 'rules:\n  - tagsMatching: "{a,b,v[0-9]*}"\n')), ['c', 'd', 'e']);
    const always = run(app(), 'rules:\n  - always: true\n');
    assert.deepEqual(deleted(always), []);
    assert.equal(always.summary.keptTags, 7);
    assert.equal(always.text, 'would delete 0 tags, 0 B');
  });

  it('combines rules with OR, and lists every reason', () => {
    const p = run(app(), 'rules:\n  - mostRecentlyPushed: 1\n  - pulledWithinDays: 3\n  - tagsMatching: "v1.*"\n');
    assert.deepEqual(kept(p), ['a', 'b', 'd', 'v1.0']);
    assert.deepEqual(deleted(p), ['c', 'e', 'v2.0']);
    const both = run(app(), 'rules:\n  - mostRecentlyPushed: 2\n  - pushedWithinDays: 2\n').repositories[0]!.keepTags.find((t) => t.tag === 'a')!;
    assert.deepEqual(both.reasons, ['rule 1: the 2 most recently pushed', 'rule 2: pushed within 2 days']);
  });

  it('breaks ties in push time by tag name, so a plan is the same every time', () => {
    const inv = inventory([{ path: 'app', tags: [tag('z', d(1), 5), tag('m', d(2), 5), tag('a', d(3), 5)] }]);
    assert.deepEqual(kept(run(inv, 'rules:\n  - mostRecentlyPushed: 2\n')), ['a', 'm']);
  });
});

describe('retention planner: scope', () => {
  const inv = () => inventory([
    { path: 'app', tags: [tag('1', d(1), 1), tag('2', d(2), 2), tag('3', d(3), 3), tag('dev-1', d(4), 4), tag('dev-2', d(5), 5)] },
    { path: 'team/api', tags: [tag('1', d(11), 1), tag('2', d(12), 2), tag('3', d(13), 3)] },
    { path: 'base', tags: [tag('old', d(21), 400)] },
  ]);

  it('a rule touches only the repositories its pattern matches (paths inside the project)', () => {
    const p = run(inv(), 'rules:\n  - repositories: "team/*"\n    mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p, 'acme/team/api'), ['2', '3']);
    assert.deepEqual(deleted(p, 'acme/app'), []);
    assert.deepEqual(deleted(p, 'acme/base'), []);
    assert.equal(p.summary.repositories, 1);
    assert.equal(p.text, 'would delete 2 tags, 2.1 KiB');
  });

  it('counts per repository', () => {
    const p = run(inv(), 'rules:\n  - repositories: "{app,team/**}"\n    mostRecentlyPushed: 2\n');
    assert.deepEqual(deleted(p, 'acme/app'), ['3', 'dev-1', 'dev-2']);
    assert.deepEqual(deleted(p, 'acme/team/api'), ['3']);
  });

  it("a rule's tag pattern narrows its scope: other tags are left alone", () => {
    const p = run(inv(), 'rules:\n  - repositories: app\n    tags: "dev-*"\n    mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p), ['dev-2']);
    assert.deepEqual(kept(p), ['dev-1']);
    assert.equal(p.repositories[0]!.outOfScope, 3, 'tags 1, 2 and 3 are out of scope');
  });

  it('but tagsMatching keeps within the whole scope: the rest of it is deleted', () => {
    const p = run(inv(), 'rules:\n  - repositories: app\n    tagsMatching: "dev-*"\n');
    assert.deepEqual(deleted(p), ['1', '2', '3']);
  });

  it('an always rule for one repository next to a count for the others', () => {
    const p = run(inv(), 'rules:\n  - mostRecentlyPushed: 1\n  - repositories: base\n    always: true\n  - repositories: app\n    tags: "dev-*"\n    always: true\n');
    assert.deepEqual(deleted(p, 'acme/base'), []);
    assert.deepEqual(deleted(p, 'acme/app'), ['2', '3']);
    assert.deepEqual(kept(p, 'acme/app'), ['1', 'dev-1', 'dev-2']);
  });

  it('excludeRepositories and excludeTags take repositories and tags out of a rule\'s scope', () => {
    const p = run(inv(), 'rules:\n  - excludeRepositories: "{base,team/**}"\n    excludeTags: "dev-2"\n    mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p, 'acme/app'), ['2', '3', 'dev-1'], 'dev-2 is out of scope');
    assert.deepEqual(deleted(p, 'acme/team/api'), []);
    assert.deepEqual(deleted(p, 'acme/base'), []);
    assert.equal(p.repositories.find((r) => r.repository === 'acme/app')!.outOfScope, 1);
  });

  it('warns about rules that match no repository, and suggests the path form', () => {
    const p = run(inv(), 'rules:\n  - repositories: "acme/app"\n    mostRecentlyPushed: 1\n  - repositories: nothing\n    always: true\n');
    assert.deepEqual(p.warnings, [
      'rule 1 (repositories acme/app): the 1 most recently pushed matches no repository of acme (patterns are paths inside the project: write "app")',
      'rule 2 (repositories nothing): always matches no repository of acme',
    ]);
    assert.equal(p.summary.tags, 0);
    assert.deepEqual(run(inv(), 'rules: []').warnings, ['the policy has no rules: nothing is in scope, so nothing is deleted']);
  });
});

describe('retention planner: immutability and cosign tags', () => {
  it('keeps immutable tags and says so', () => {
    const inv = inventory([{ path: 'app', tags: [tag('v1', d(1), 10), tag('v2', d(2), 5), tag('latest', d(3), 1)] }]);
    const p = run(inv, 'rules:\n  - mostRecentlyPushed: 1\n', (repo, t) => repo === 'acme/app' && t.startsWith('v1'));
    assert.deepEqual(deleted(p), ['v2']);
    assert.deepEqual(kept(p), ['latest', 'v1']);
    assert.deepEqual(p.repositories[0]!.keepTags.find((t) => t.tag === 'v1')!.reasons, ['immutable (an immutability rule of the project covers it)']);
    assert.equal(p.summary.immutable, 1);
    // A tag a rule keeps says it is immutable too.
    const both = run(inv, 'rules:\n  - mostRecentlyPushed: 1\n', (_repo, t) => t === 'latest' || t === 'v1');
    assert.deepEqual(both.repositories[0]!.keepTags.find((t) => t.tag === 'latest')!.reasons, ['rule 1: the 1 most recently pushed', 'immutable (an immutability rule of the project covers it)']);
    assert.equal(both.summary.immutable, 2);
  });

  it("cosign tags are not counted: they stay with a kept image and go with a deleted image's last tag", () => {
    const inv = inventory([{ path: 'app', tags: [tag('new', d(1), 1), tag('old', d(2), 9), tag(cosign(1), d(91), 1), tag(cosign(2), d(92), 9), tag(cosign(2, 'att'), d(93), 9), tag(cosign(77), d(94), 9)] }]);
    const p = run(inv, 'rules:\n  - mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p), [cosign(2), cosign(2, 'att'), 'old'].sort());
    assert.deepEqual(kept(p), ['new']);
    assert.match(p.repositories[0]!.deleteTags.find((t) => t.tag === cosign(2))!.reasons[0]!, /^follows sha256:000000000000…, whose last tag this run deletes$/);
  });

  it('an image keeping another tag keeps its signature', () => {
    const inv = inventory([{ path: 'app', tags: [tag('new', d(1), 1), tag('old', d(1), 9), tag(cosign(1), d(91), 9)] }]);
    const p = run(inv, 'rules:\n  - mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p), ['old']);
  });
});

describe('retention planner: untagged manifests', () => {
  const index = d(50);
  const inv = () => inventory([{
    path: 'app',
    tags: [tag('latest', d(1), 1), tag('multi', index, 2)],
    untagged: [
      { digest: d(2), daysAgo: 30 }, // an old push of latest: goes
      { digest: d(3), daysAgo: 0.001 }, // pushed 90 s ago: the grace period keeps it
      { digest: d(4), daysAgo: 30, subject: d(1) }, // a referrer (signature) of latest: stays
      { digest: d(5), daysAgo: 30, subject: d(2) }, // a referrer of the old push: goes with it
      { digest: d(60), daysAgo: 30 }, // an old untagged index with its platform d(61)
    ],
  }], {
    [index]: { mediaType: 'application/vnd.oci.image.index.v1+json', children: [d(51), d(52)], blobs: [] },
    [d(60)]: { mediaType: 'application/vnd.oci.image.index.v1+json', children: [d(61), d(51)], blobs: [] },
  });

  it('deletes untagged manifests a push left, never platforms of a kept index, referrers, or recent pushes', () => {
    const p = run(inv(), 'untagged: true\nrules:\n  - always: true\n');
    assert.deepEqual(untagged(p), [d(60), d(2), d(61)], 'the index before its platform; d(51) is a platform of the tagged index too');
    assert.deepEqual(p.repositories[0]!.keepManifests.map((m) => m.digest), [d(3)]);
    assert.match(p.repositories[0]!.keepManifests[0]!.reason, /pushed less than 15 minutes ago/);
    assert.equal(p.text, 'would delete 0 tags and 3 untagged manifests, 3.3 KiB');
  });

  it('keeps the platforms of an index that stays untagged', () => {
    const p = plan(inv(), parsePolicy('untagged: true\nrules:\n  - always: true\n'), { now: NOW, graceMs: 365 * DAY_MS }, matchesGlob);
    assert.deepEqual(untagged(p), [], 'with a year of grace, every untagged manifest is recent: the index d(60) stays and so does d(61)');
  });

  it('a tagged referrer keeps its untagged subject (deleting it would take the tag along)', () => {
    const inv = inventory([{
      path: 'app',
      tags: [tag('latest', d(1), 1), tag('sbom-of-old', d(8), 1)],
      untagged: [{ digest: d(7), daysAgo: 30 }, { digest: d(9), daysAgo: 30 }],
    }]);
    (inv.repositories[0]!.manifests as unknown as { digest: string; subject: string | null }[]).find((m) => m.digest === d(8))!.subject = d(7);
    const p = run(inv, 'untagged: true\nrules:\n  - always: true\n');
    assert.deepEqual(untagged(p), [d(9)]);
  });

  it('off by default; and only in repositories a rule covers', () => {
    assert.deepEqual(untagged(run(inv(), 'rules:\n  - always: true\n')), []);
    assert.deepEqual(untagged(run(inv(), 'untagged: true\nrules:\n  - repositories: other\n    always: true\n')), []);
  });

  it('does not count what this run untags as untagged (GC and rollback have it)', () => {
    const p = run(inv(), 'untagged: true\nrules:\n  - tagsMatching: latest\n');
    assert.deepEqual(deleted(p), ['multi']);
    assert.ok(!untagged(p).includes(index), 'the index that loses its tag is not deleted by digest');
  });
});

describe('retention planner: bytes', () => {
  it('counts manifests and blobs nothing kept references, once, across the project', () => {
    const shared = 'sha256:shared-layer';
    const inv = inventory([
      { path: 'app', tags: [tag('new', d(1), 1), tag('old', d(2), 9), tag('older', d(3), 20)] },
      { path: 'mirror', tags: [tag('keep', d(3), 1)] },
    ], {
      [d(1)]: { blobs: [[shared, 5000], ['sha256:l1', 10]] },
      [d(2)]: { size: 200, blobs: [[shared, 5000], ['sha256:l2', 20]] },
      [d(3)]: { size: 300, blobs: [['sha256:l3', 30]] },
    });
    const p = run(inv, 'rules:\n  - repositories: app\n    mostRecentlyPushed: 1\n');
    assert.deepEqual(deleted(p), ['old', 'older']);
    // old: its manifest (200) and l2 (20); the shared layer stays with new. older: kept in mirror, nothing.
    assert.equal(p.summary.bytes, 220);
    assert.equal(p.repositories[0]!.bytes, 220);
    assert.equal(p.bytesEstimated, true);
  });

  it('an index brings its platforms', () => {
    const inv = inventory([{ path: 'app', tags: [tag('multi', d(50), 9), tag('latest', d(1), 1)] }], {
      [d(50)]: { size: 500, children: [d(51), d(52)], blobs: [] },
      [d(51)]: { size: 100, blobs: [['sha256:a', 1000]] },
      [d(52)]: { size: 100, blobs: [['sha256:b', 2000]] },
    });
    assert.equal(run(inv, 'rules:\n  - tagsMatching: latest\n').summary.bytes, 500 + 100 + 1000 + 100 + 2000);
  });

  it('formats sizes and the summary line', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1 KiB');
    assert.equal(formatBytes(1.2 * 1024 ** 3), '1.2 GiB');
    assert.equal(summaryText({ tags: 312, manifests: 0, bytes: 1.2 * 1024 ** 3 }, false), 'would delete 312 tags, 1.2 GiB');
    assert.equal(summaryText({ tags: 1, manifests: 1, bytes: 2048 }, true), 'deleted 1 tag and 1 untagged manifest, 2 KiB');
  });
});
