// The setting the trust e2e suites share: a real `berth serve` with built-in auth; alice, who owns
// her project; bob, a guest of it (he may only pull); a robot of alice's with pull only; a client
// environment whose containers policy and registries.d live in its temp dir; small distinct images
// (the static busybox layer under configs with different labels); and the real clients to push
// (skopeo, podman) and pull (podman pull, skopeo copy) with.
//
// registries.d names a lookaside directory for Berth's host, so a signature that went there instead
// of into Berth (through the X-Registry-Supports-Signatures extension) would be seen: the suites
// check that the directory stays empty. podman reads registries.d from $HOME/.config/containers
// (it has no flag for it), so every client command runs with HOME set to the client's temp dir.
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { berth, ok, type CliResult } from '../../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './client-env.ts';
import { buildBusyboxLayout } from './fixtures.ts';
import type { Credentials } from './registry.ts';
import type { RunResult } from './run.ts';
import { gzipLayer, writeImageLayout, type GzipLayer, type LayoutImage } from './scan-images.ts';

export const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
export const ALICE: Credentials = { user: 'alice', password: 'e2e-Alice-pa55word' };
export const BOB: Credentials = { user: 'bob', password: 'e2e-Bob-pa55word' };
/** What Berth's refusal starts with, as every client must print it. */
export const REFUSED = /pull refused by the trust policy of project alice: /;

export type PullClient = 'podman pull' | 'skopeo copy';
export const PULL_CLIENTS: readonly PullClient[] = ['podman pull', 'skopeo copy'];

/** `berth trust verify --json` */
export interface Verdict {
  repository: string;
  reference: string;
  digest: string;
  signed: boolean;
  signers: string[];
  problems: string[];
  mode: string;
  signatures: { format: string; source: { kind: string; ref: string }; ok: boolean; signer: string | null; problem: { code: string; message: string } | null; claims: Record<string, unknown> | null }[];
}

export interface PullResult extends RunResult {
  /** skopeo copy: the signature files containers/image wrote into the dir: destination. */
  readonly signatureFiles: string[];
}

export interface TrustWorld {
  readonly server: BerthProcess;
  readonly client: ClientEnv;
  /** HOME for the clients (podman reads registries.d under it). */
  readonly home: string;
  readonly registriesD: string;
  /** The lookaside directory registries.d names for Berth's host. */
  readonly lookaside: string;
  /** A containers policy that accepts anything (for pushes from local layouts and storage). */
  readonly acceptAnything: string;
  readonly robot: Credentials;
  /** env for client commands: HOME, plus whatever is given (GNUPGHOME). */
  clientEnv(extra?: Record<string, string>): Record<string, string>;
  cli(args: string[], as?: Credentials): Promise<CliResult>;
  verify(ref: string): Promise<Verdict>;
  /** The same verdict from the API the CLI calls (GET /api/v1/repositories/{project}/{repository}/trust/{reference}), as alice: quicker than a CLI run. */
  verdict(ref: string): Promise<Verdict>;
  /** A new image of its own digest. */
  image(label: string): Promise<LayoutImage>;
  /** skopeo copy of a local image to HOST/name as alice; extra flags (e.g. --sign-by); returns the pushed digest. */
  skopeoPush(source: string, name: string, extra?: string[], env?: Record<string, string>): Promise<string>;
  /** A containers policy.json that requires, for Berth's host, a signature by one of these GPG public key files. */
  signedByPolicy(name: string, keyFiles: readonly string[]): Promise<string>;
  /** Pulls HOST/name as `who` in a fresh client storage, under a containers policy. */
  pull(client: PullClient, who: Credentials, name: string, policy: string): Promise<PullResult>;
  /** The signatures Berth serves through the extension for name@digest. */
  extensionSignatures(name: string, digest: string): Promise<{ name: string; content: string }[]>;
  /** Files under the lookaside directory (signatures that did not go to Berth). */
  lookasideFiles(): Promise<string[]>;
  cleanup(): Promise<void>;
}

const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

export async function startTrustWorld(): Promise<TrustWorld> {
  const server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
  const made: ClientEnv[] = [];
  const cli = (args: string[], as: Credentials = ALICE): Promise<CliResult> =>
    berth([...args, '--url', server.url, '--user', as.user], { env: { BERTH_PASSWORD: as.password } });
  for (const u of [ALICE, BOB]) {
    const res = await fetch(`${server.url}/api/v1/users`, {
      method: 'POST', headers: { authorization: basic(ADMIN), 'content-type': 'application/json' }, body: JSON.stringify({ name: u.user, password: u.password }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  ok(await cli(['project', 'member', 'add', 'alice', 'bob', '--role', 'guest']));
  const created = JSON.parse(ok(await cli(['robot', 'create', 'alice', 'puller', '--permissions', 'pull', '--json'])).stdout) as { robot: { name: string }; secret: string };
  const robot = { user: created.robot.name, password: created.secret };

  const client = await createClientEnv(server.host);
  const home = join(client.dir, 'home');
  const registriesD = join(home, '.config', 'containers', 'registries.d');
  const lookaside = join(client.dir, 'lookaside');
  await mkdir(registriesD, { recursive: true });
  await mkdir(lookaside);
  await writeFile(join(registriesD, 'berth.yaml'),
    `docker:\n  ${server.host}:\n    lookaside: file://${lookaside}\n    lookaside-staging: file://${lookaside}\n    use-sigstore-attachments: false\n`);
  const acceptAnything = join(client.dir, 'policy-accept.json');
  await writeFile(acceptAnything, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const clientEnv = (extra: Record<string, string> = {}) => ({ HOME: home, ...extra });

  const bb = await buildBusyboxLayout(await client.scratch('busybox'));
  const busybox: GzipLayer = await gzipLayer(join(bb.layout, 'blobs', 'sha256', bb.layerDigests[0]!.slice(7)));

  let pushes = 0;
  const world: TrustWorld = {
    server, client, home, registriesD, lookaside, acceptAnything, robot, clientEnv, cli,
    async verify(ref) {
      return JSON.parse(ok(await cli(['trust', 'verify', `${server.host}/${ref}`, '--json'])).stdout) as Verdict;
    },
    async verdict(ref) {
      const [, project, repository, reference] = /^([^/]+)\/([^:]+):(.+)$/.exec(ref) ?? [];
      assert.ok(project && repository && reference, `project/repository:reference, not ${ref}`);
      const res = await fetch(`${server.url}/api/v1/repositories/${project}/${repository}/trust/${encodeURIComponent(reference)}`, { headers: { authorization: basic(ALICE) } });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as Verdict;
    },
    async image(label) {
      return writeImageLayout(await client.scratch(label.replace(/\W/g, '-')), 'img', [busybox], { label: `berth-e2e-trust ${label}` });
    },
    async skopeoPush(source, name, extra = [], env = {}) {
      const digestFile = join(client.dir, `digest-${++pushes}`);
      await client.run('skopeo', [
        '--policy', acceptAnything, '--registries.d', registriesD, 'copy', '--retry-times=0',
        ...(source.startsWith('docker://') ? ['--src-tls-verify=false', '--src-creds', `${ALICE.user}:${ALICE.password}`] : []),
        '--dest-tls-verify=false', '--dest-creds', `${ALICE.user}:${ALICE.password}`, '--digestfile', digestFile, ...extra,
        source, `docker://${server.host}/${name}`,
      ], { env: clientEnv(env) });
      return (await readFile(digestFile, 'utf8')).trim();
    },
    async signedByPolicy(name, keyFiles) {
      const file = join(client.dir, `policy-${name}.json`);
      // Everything else is rejected: the pulls below come from Berth's host only, so this is the requirement they meet.
      const requirements = keyFiles.map((keyPath) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath }));
      await writeFile(file, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [server.host]: requirements } } }, null, 2));
      return file;
    },
    async pull(kind, who, name, policy) {
      const env = await createClientEnv(server.host);
      made.push(env);
      const ref = `${server.host}/${name}`;
      const creds = `${who.user}:${who.password}`;
      if (kind === 'podman pull') {
        const r = await env.exec('podman', ['pull', '--tls-verify=false', '--creds', creds, '--signature-policy', policy, ref], { env: clientEnv() });
        return { ...r, signatureFiles: [] };
      }
      const out = await env.scratch('pulled');
      const r = await env.exec('skopeo', [
        '--policy', policy, '--registries.d', registriesD, 'copy', '--retry-times=0', '--src-tls-verify=false', '--src-creds', creds, `docker://${ref}`, `dir:${out}`,
      ], { env: clientEnv() });
      return { ...r, signatureFiles: (await readdir(out).catch(() => [])).filter((f) => /^signature-\d+$/.test(f)).sort() };
    },
    async extensionSignatures(name, digest) {
      const res = await fetch(`${server.url}/extensions/v2/${name}/signatures/${digest}`, { headers: { authorization: basic(ALICE) } });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { signatures: { name: string; content: string }[] }).signatures;
    },
    lookasideFiles: () => filesUnder(lookaside),
    async cleanup() {
      if (process.env.E2E_SERVER_LOGS) console.log(server.logs());
      for (const env of made) await env.cleanup();
      await client.cleanup();
      await server.stop();
    },
  };
  return world;
}

/** Asserts that the pull failed and printed Berth's refusal; returns the line that says it. */
export function refusalLine(r: RunResult, what: string): string {
  assert.notEqual(r.code, 0, `${what} must be refused by Berth:\n${r.command}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, REFUSED, `${what} prints Berth's refusal:\n${r.stderr}`);
  return r.stderr.trim().split('\n').find((l) => REFUSED.test(l))!;
}
