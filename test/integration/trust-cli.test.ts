// The berth trust commands of the real CLI (node bin/berth.mjs), as the interface names
// them: berth trust key add|list, berth trust policy --mode and berth trust verify REF --json
// ({signed, signers, problems, ...}), against a running server with --url and --user (the password
// in BERTH_PASSWORD), then offline with --data on the stopped server's data directory, whose
// changes the restarted server obeys and audits as the local system.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { cosignKey, signCosign } from '../helpers/cosign-signer.ts';
import { addUser, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushLayers } from './scan-helpers.ts';

describe('berth trust: keys, policy and verify, with --url and offline', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let gina: Creds;
  let dir: string;
  const push = (repo: string, tag: string) => pushLayers(server, alice, repo, tag, [layerOf({ [tag]: `${repo}:${tag}:${Math.random()}` })]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-trust-cli-'));
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    gina = await addUser(server, 'gina');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'cli' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/cli/members/gina', { as: alice, body: { role: 'guest' } }), 200);
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with --url and --user, then offline with --data; the restarted server obeys what was set offline', async () => {
    const key = cosignKey('p256');
    const keyFile = join(dir, 'cosign.pub');
    writeFileSync(keyFile, key.publicPem);
    const junkFile = join(dir, 'junk.pub');
    writeFileSync(junkFile, 'not a key\n');
    const as = { env: { BERTH_PASSWORD: alice[1] } };
    const remote = () => ['--url', server.url, '--user', alice[0]];
    const image = await push('cli/app', '1.0');

    // (Each run of the CLI costs seconds here: the independent ones run side by side.)
    const [unsignedRun, junk] = await Promise.all([
      berth(['trust', 'verify', `${server.host}/cli/app:1.0`, '--json', ...remote()], as),
      berth(['trust', 'key', 'add', 'cli', 'junk', '--key', junkFile, ...remote()], as),
    ]);
    const unsigned = JSON.parse(ok(unsignedRun).stdout);
    assert.equal(unsigned.signed, false);
    assert.deepEqual(unsigned.signers, []);
    assert.deepEqual(unsigned.problems, ['the image has no signature']);
    assert.equal(junk.code, 1);
    assert.match(junk.stderr, /give a PEM public key/);

    const added = ok(await berth(['trust', 'key', 'add', 'cli', 'release', '--key', keyFile, ...remote()], as));
    assert.match(added.stdout, /project cli trusts release \(key, sha256:[0-9a-f]{40}\)/);
    await signCosign(server.url, alice, 'cli/app', image.digest, key);
    const [listRun, verifyRun, modeRun] = await Promise.all([
      berth(['trust', 'key', 'list', 'cli', '--json', ...remote()], as),
      berth(['trust', 'verify', `${server.host}/cli/app:1.0`, '--json', ...remote()], as),
      berth(['trust', 'policy', 'cli', '--mode', 'audit', '--exempt', 'robot$cli+mirror', ...remote()], as),
    ]);
    assert.deepEqual(JSON.parse(ok(listRun).stdout).map((s: { name: string; kind: string; createdBy: string }) => [s.name, s.kind, s.createdBy]), [['release', 'key', 'alice']]);
    const signedV = JSON.parse(ok(verifyRun).stdout);
    assert.equal(signedV.signed, true);
    assert.deepEqual(signedV.signers, ['release']);
    assert.deepEqual(signedV.problems, []);
    assert.equal(signedV.signatures[0].format, 'cosign');
    assert.match(ok(modeRun).stdout, /project cli: trust mode audit; exempt: robot\$cli\+mirror; 1 trusted signer: release/);
    assert.equal(expectStatus(await call(server, 'GET', '/projects/cli/trust-policy', { as: gina }), 200).body.mode, 'audit');

    // Offline, on the stopped server's data directory; the restarted server sees the changes.
    const other = await push('cli/app', '2.0');
    await server.stop();
    const offline = ['--data', server.dataDir];
    const backupFile = join(dir, 'backup.pub');
    writeFileSync(backupFile, cosignKey('ed25519').publicPem);
    assert.match(ok(await berth(['trust', 'key', 'add', 'cli', 'backup', '--key', backupFile, ...offline])).stdout, /project cli trusts backup \(key,/);
    const offPolicy = JSON.parse(ok(await berth(['trust', 'policy', 'cli', '--mode', 'enforce', '--json', ...offline])).stdout);
    assert.equal(offPolicy.mode, 'enforce');
    assert.deepEqual(offPolicy.exempt, ['robot$cli+mirror']);
    const [offListRun, offVerifyRun, offUnsigned] = await Promise.all([
      berth(['trust', 'key', 'list', 'cli', '--json', ...offline]),
      berth(['trust', 'verify', 'cli/app:1.0', '--json', ...offline]),
      berth(['trust', 'verify', `cli/app@${other.digest}`, ...offline]),
    ]);
    assert.deepEqual(JSON.parse(ok(offListRun).stdout).map((s: { name: string; createdBy: string }) => [s.name, s.createdBy]), [['backup', 'system'], ['release', 'alice']]);
    const offVerify = JSON.parse(ok(offVerifyRun).stdout);
    assert.equal(offVerify.signed, true);
    assert.deepEqual(offVerify.signers, ['release']);
    assert.equal(offVerify.mode, 'enforce');
    assert.equal(offUnsigned.code, 1, `without --json: exit 1 when not signed\n${offUnsigned.stdout}${offUnsigned.stderr}`);
    assert.match(offUnsigned.stdout, /NOT signed by a trusted signer; trust mode enforce/);
    assert.match(offUnsigned.stdout, /problem: the image has no signature/);

    server = await server.restart();
    const p = expectStatus(await call(server, 'GET', '/projects/cli/trust-policy', { as: gina }), 200).body;
    assert.equal(p.mode, 'enforce');
    assert.deepEqual(p.signers.map((s: { name: string }) => s.name), ['backup', 'release']);
    assert.equal((await getManifest(server, gina, 'cli/app', '1.0')).status, 200);
    assert.equal((await getManifest(server, gina, 'cli/app', '2.0')).status, 403, 'enforced, as set offline');
    const audit = expectStatus(await call(server, 'GET', '/audit?project=cli&action=trust.key.add&limit=100', { as: alice }), 200).body.entries as { actor: string; reference: string }[];
    assert.ok(audit.some((e) => e.actor === 'system' && e.reference === 'backup'), `offline changes are audited as the system: ${JSON.stringify(audit)}`);
    assert.match(ok(await berth(['trust', 'key', 'remove', 'cli', 'backup', '--url', server.url, '--user', alice[0]], as)).stdout, /project cli no longer trusts backup/);
    assert.deepEqual(expectStatus(await call(server, 'GET', '/projects/cli/trust-keys', { as: gina }), 200).body.signers.map((s: { name: string }) => s.name), ['release']);
  });
});
