// berth replicate offline, on a data directory (no server running): a rule is added (its password
// sealed with the data directory's key file, 0600), listed, run in the CLI's own process against
// Distribution 2.8.2, shown in the history, and removed; the plain output names what was done.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth } from '../helpers/berth-process.ts';
import { startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from './proxy-helpers.ts';
import { assertWhole, pushMultiArch, type MultiArch } from './replication-helpers.ts';

describe('berth replicate offline on a data directory', { timeout: 120_000 }, () => {
  let up: Upstream;
  let dataDir = '';
  let image: MultiArch;

  before(async () => {
    up = await startUpstream();
    const b = await startBerth({ auth: 'none' });
    dataDir = b.dataDir;
    image = await pushMultiArch({ url: b.url }, 'library/app', 'v1');
    await b.stop();
  });
  after(async () => {
    await up?.stop();
  });

  it('add, list, run (in this process), history, remove', async () => {
    const add = ok(await berth(['replicate', 'add', 'off', '--to', up.url, '--repos', 'library/*', '--username', UPSTREAM_USER, '--password-stdin', '--data', dataDir], { stdin: `${UPSTREAM_PASSWORD}\n` }));
    assert.match(add.stdout, /Rule off: Berth -> http:\/\/127\.0\.0\.1:\d+, repositories library\/\*, tags \*\*; runs with berth replicate run\./);
    assert.equal(statSync(join(dataDir, 'proxy-secret.key')).mode & 0o777, 0o600);
    const list = ok(await berth(['replicate', 'list', '--data', dataDir])).stdout;
    assert.match(list, /^NAME\s+DIRECTION\s+PEER/m);
    assert.match(list, /^off\s+push\s+http/m);
    assert.ok(!list.includes(UPSTREAM_PASSWORD));
    const run = ok(await berth(['replicate', 'run', 'off', '--data', dataDir]));
    assert.match(run.stdout, /^run \d+ done: 4 copied, 0 skipped, 0 failed; blobs 6 uploaded/m);
    assert.match(run.stdout, /^REPOSITORY\s+REFERENCE\s+KIND\s+STATUS/m);
    await assertWhole({ url: up.directUrl, authorization: up.authorization }, 'library/app', 'v1', image);
    const again = ok(await berth(['replicate', 'run', 'off', '--data', dataDir, '--json']));
    assert.equal((JSON.parse(again.stdout) as { summary: { copied: number } }).summary.copied, 0);
    const history = JSON.parse(ok(await berth(['replicate', 'history', 'off', '--data', dataDir, '--json'])).stdout) as { state: string; trigger: string; requestedBy: string }[];
    assert.deepEqual(history.map((r) => [r.state, r.trigger, r.requestedBy]), [['done', 'manual', 'cli'], ['done', 'manual', 'cli']]);
    ok(await berth(['replicate', 'remove', 'off', '--data', dataDir]));
    assert.match(ok(await berth(['replicate', 'list', '--data', dataDir])).stdout, /No replication rules\./);
    const gone = await berth(['replicate', 'run', 'off', '--data', dataDir]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /no replication rule off/);
  });
});
