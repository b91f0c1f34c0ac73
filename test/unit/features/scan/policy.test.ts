// The vulnerability policy's decision, rule by rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLICY, blockingFindings, countBySeverity, evaluatePolicy, type PolicyFinding, type ScanPolicy } from '../../../../src/features/scan/policy.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const f = (advisory: string, severity: PolicyFinding['severity'], fixedVersion?: string, extra: Partial<PolicyFinding> = {}): PolicyFinding => ({
  advisory, aliases: [], severity, package: 'openssl', installedVersion: '3.0.11-1~deb12u2', ...(fixedVersion ? { fixedVersion } : {}), ...extra,
});
const policy = (p: Partial<ScanPolicy>): ScanPolicy => ({ ...DEFAULT_POLICY, ...p });
const decide = (p: Partial<ScanPolicy>, findings: PolicyFinding[] | undefined, extra: Partial<Parameters<typeof evaluatePolicy>[0]> = {}) =>
  evaluatePolicy({ project: 'team', policy: policy(p), ...(findings ? { findings } : {}), now: NOW, ...extra });

describe('scan policy', () => {
  const findings = [f('CVE-2024-0001', 'medium', '1.1'), f('CVE-2024-0002', 'critical'), f('CVE-2024-0003', 'high', '1.2', { cvss: 8.8 }), f('CVE-2024-0004', 'low'), f('CVE-2024-0005', 'unknown')];

  it('lets everything through by default', () => {
    assert.deepEqual(decide({}, findings), { allow: true });
    assert.deepEqual(decide({}, undefined), { allow: true });
  });

  it('blocks findings at or above the chosen severity, naming the worst first', () => {
    const d = decide({ preventSeverity: 'high' }, findings);
    assert.equal(d.allow, false);
    if (d.allow) return;
    assert.deepEqual(d.blocking.map((x) => x.advisory), ['CVE-2024-0002', 'CVE-2024-0003']);
    assert.match(d.message, /^pull refused by the vulnerability policy of project team: 2 findings at or above high: CVE-2024-0002 \(critical\) in openssl 3\.0\.11-1~deb12u2, no fix yet; CVE-2024-0003 \(high\)/);
    assert.equal(decide({ preventSeverity: 'critical' }, [f('X', 'high')]).allow, true);
    // low blocks low and above, not unknown.
    const low = decide({ preventSeverity: 'low' }, findings);
    assert.ok(!low.allow && low.blocking.length === 4);
  });

  it('fixable only: findings without a fix do not block', () => {
    const d = decide({ preventSeverity: 'high', fixableOnly: true }, findings);
    assert.ok(!d.allow && d.blocking.map((x) => x.advisory).join() === 'CVE-2024-0003');
    assert.match(d.allow ? '' : d.message, /1 fixable finding at or above high/);
    assert.equal(decide({ preventSeverity: 'critical', fixableOnly: true }, findings).allow, true);
  });

  it('an allowlist entry (by id or alias, any case) counts until it expires', () => {
    const aliased = [f('DSA-5532-1', 'critical', undefined, { aliases: ['CVE-2023-5363'] })];
    assert.equal(decide({ preventSeverity: 'high', allowlist: [{ id: 'cve-2023-5363' }] }, aliased).allow, true);
    assert.equal(decide({ preventSeverity: 'high', allowlist: [{ id: 'CVE-2023-5363', expiresAt: '2027-01-01T00:00:00Z' }] }, aliased).allow, true);
    assert.equal(decide({ preventSeverity: 'high', allowlist: [{ id: 'CVE-2023-5363', expiresAt: '2026-11-30T00:00:00Z' }] }, aliased).allow, false);
    assert.equal(decide({ preventSeverity: 'high', allowlist: [{ id: 'CVE-2000-0000' }] }, aliased).allow, false);
  });

  it('unscanned images block only when the project says so', () => {
    assert.equal(decide({ preventSeverity: 'high' }, undefined).allow, true);
    const d = decide({ preventUnscanned: true }, undefined);
    assert.ok(!d.allow && /has not been scanned yet/.test(d.message));
    assert.equal(decide({ preventUnscanned: true }, []).allow, true);
  });

  it('nothing blocks during the grace period after a push, or for an exempt account', () => {
    assert.deepEqual(decide({ preventSeverity: 'low', preventUnscanned: true, graceSeconds: 600 }, findings, { pushedAt: NOW - 599_000 }), { allow: true, why: 'grace' });
    assert.equal(decide({ preventSeverity: 'low', graceSeconds: 600 }, findings, { pushedAt: NOW - 601_000 }).allow, false);
    assert.deepEqual(decide({ preventSeverity: 'low', exempt: ['robot$team+mirror'] }, findings, { account: 'robot$team+mirror' }), { allow: true, why: 'exempt' });
    assert.equal(decide({ preventSeverity: 'low', exempt: ['robot$team+mirror'] }, findings, { account: 'robot$team+ci' }).allow, false);
  });

  it('says how many more there are beyond the three it names', () => {
    const many = Array.from({ length: 5 }, (_, i) => f(`CVE-2024-100${i}`, 'high'));
    const d = decide({ preventSeverity: 'high' }, many);
    assert.match(d.allow ? '' : d.message, /and 2 more\. Update the image, or ask a project owner to allowlist them$/);
    assert.equal(blockingFindings(policy({ preventSeverity: 'none' }), many, NOW).length, 0);
  });

  it('counts by severity with every key present', () => {
    assert.deepEqual(countBySeverity(findings), { critical: 1, high: 1, medium: 1, low: 1, unknown: 1 });
    assert.deepEqual(countBySeverity([]), { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 });
  });
});
