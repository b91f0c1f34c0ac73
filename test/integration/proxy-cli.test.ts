// berth proxy create|list|remove offline on a data directory, and what it refuses.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';

describe('berth proxy offline', { timeout: 120_000 }, () => {
  let data: string;
  before(async () => { data = await mkdtemp(join(tmpdir(), 'berth-proxy-cli-')); });
  after(async () => { await rm(data, { recursive: true, force: true }); });

  it('creates a proxy project (and its project), lists it without the password, removes it', async () => {
    const created = ok(await berth(['proxy', 'create', 'hub', '--upstream', 'https://registry.example.com/', '--username', 'ci', '--password-stdin', '--tag-ttl', 'latest=5m,*=2h', '--data', data], { stdin: 'upstream-secret-pw\n' }));
    assert.match(created.stdout, /hub is now a pull-through cache of https:\/\/registry\.example\.com \(as ci\); tags are checked upstream after latest=5m,\*=2h/);
    assert.equal(statSync(join(data, 'proxy-secret.key')).mode & 0o777, 0o600);
    const list = ok(await berth(['proxy', 'list', '--data', data, '--json']));
    assert.equal(list.stdout.includes('upstream-secret-pw'), false);
    const [p] = JSON.parse(list.stdout) as { project: string; upstream: string; username: string; hasPassword: boolean }[];
    assert.deepEqual({ project: p!.project, upstream: p!.upstream, username: p!.username, hasPassword: p!.hasPassword }, { project: 'hub', upstream: 'https://registry.example.com', username: 'ci', hasPassword: true });
    const projects = ok(await berth(['project', 'list', '--data', data, '--json']));
    assert.ok((JSON.parse(projects.stdout) as { name: string }[]).some((x) => x.name === 'hub'), 'the project was made');
    // Offline too, the project gets the retention default (not pulled in 30 days).
    const shown = JSON.parse(ok(await berth(['retention', 'show', 'hub', '--data', data, '--json'])).stdout) as { policy: { policy: unknown } };
    assert.deepEqual(shown.policy.policy, { schedule: '17 3 * * *', rules: [{ pulledWithinDays: 30 }] });
    const again = await berth(['proxy', 'create', 'hub', '--upstream', 'https://other.example.com', '--data', data]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already a proxy project/);
    ok(await berth(['proxy', 'remove', 'hub', '--data', data]));
    assert.match(ok(await berth(['proxy', 'list', '--data', data])).stdout, /No proxy projects/);
  });

  it('refuses bad input, saying what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['--upstream', 'ftp://x'], /http:\/\/ or https:\/\//],
      [['--upstream', 'https://u:p@x.example.com'], /not in the URL/],
      [['--upstream', 'https://x.example.com', '--tag-ttl', 'soon'], /--tag-ttl: "soon" is not a duration/],
      [['--upstream', 'https://x.example.com', '--password-stdin'], /--password-stdin needs --username/],
    ];
    for (const [args, message] of cases) {
      const r = await berth(['proxy', 'create', 'bad', ...args, '--data', data], { stdin: 'pw\n' });
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message, args.join(' '));
    }
  });
});
