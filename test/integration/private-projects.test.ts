// A private project is invisible to strangers (hardening issue, defect 13). On every route that
// names a project (every /api/v1 route, found from the OpenAPI document, and every /v2 route), a
// non-member gets exactly the answer a missing project gives: the same status and the same body
// once the two names are swapped. A route added later that names a project fails this test until
// it has an example here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const HIDDEN = 'team';
const MISSING = 'nosuch';

/** Example bodies for the routes that take one (the test fails for a route without one). */
const BODIES: Record<string, unknown> = {
  'PATCH /projects/{name}': { description: 'x' },
  'PUT /projects/{name}/members/{user}': { role: 'guest' },
  'PUT /projects/{name}/group-mappings': { provider: 'corp', group: 'developers', role: 'guest' },
  'POST /projects/{name}/robots': { name: 'sneaky', permissions: 'pull' },
  'PATCH /robots/{name}': { disabled: true },
  'POST /projects/{name}/webhooks': { url: 'https://example.com/hook', events: 'push' },
  'PATCH /webhooks/{id}': { paused: true },
  'PATCH /repositories/{project}/{repository}': { description: 'x' },
  'POST /repositories/{project}/{repository}/tags': { name: 'copy', from: 'v1' },
  'POST /repositories/{project}/{repository}/scans': { reference: 'v1' },
  'PATCH /projects/{name}/scan-policy': { preventSeverity: 'critical' },
  'PATCH /projects/{name}/trust-policy': { mode: 'audit' },
  'POST /projects/{name}/trust-keys': { name: 'sneaky', key: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n' },
  'PUT /projects/{name}/retention': { rules: [{ mostRecentlyPushed: 1 }] },
  'POST /projects/{name}/retention/preview': { source: 'rules:\n  - always: true\n' },
  'POST /projects/{name}/retention/runs': { dryRun: false },
  'POST /gc/runs': { dryRun: true },
  'POST /repositories/{project}/{repository}/tags/{tag}/rollback': { steps: 1 },
  'POST /projects/{name}/immutable-rules': { repos: '**', tags: 'v*' },
};

describe('private projects answer strangers like missing ones, on every route', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let mallory: Creds;
  let webhookId = 0;
  let deliveryId = 0;
  let digest = '';

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] } });
    const alice = await addUser(server, 'alice');
    mallory = await addUser(server, 'mallory');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: HIDDEN } }), 201);
    expectStatus(await call(server, 'POST', `/projects/${HIDDEN}/robots`, { as: alice, body: { name: 'ci', permissions: 'pull' } }), 201);
    webhookId = expectStatus(await call(server, 'POST', `/projects/${HIDDEN}/webhooks`, { as: alice, body: { url: 'https://example.com/hook', events: 'push' } }), 201).body.webhook.id;
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const auth = { authorization: basic(alice) };
    assert.equal((await fetch(`${server.url}/v2/${HIDDEN}/app/blobs/uploads/?digest=${digestOf(config)}`, { method: 'POST', headers: auth, body: config })).status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length }, layers: [] });
    assert.equal((await fetch(`${server.url}/v2/${HIDDEN}/app/manifests/v1`, { method: 'PUT', headers: { ...auth, 'content-type': MANIFEST }, body: manifest })).status, 201);
    digest = digestOf(config);
    // The push queued a delivery for the webhook (it will fail: nothing listens; that is fine).
    for (let i = 0; i < 50 && !deliveryId; i++) {
      const d = expectStatus(await call(server, 'GET', `/webhooks/${webhookId}/deliveries`, { as: alice }), 200).body.deliveries;
      if (d.length) deliveryId = d[0].id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(deliveryId, 'a delivery exists');
  });
  after(async () => {
    await server?.stop();
  });

  /** The path with the hidden or the missing project (and its robot, webhook or delivery) filled in. */
  function fill(path: string, which: 'hidden' | 'missing'): string | undefined {
    const project = which === 'hidden' ? HIDDEN : MISSING;
    if (path.startsWith('/projects/{name}')) return path.replace('{name}', project).replace('{user}', 'alice');
    if (path.startsWith('/projects/{project}') || path.startsWith('/repositories/{project}')) {
      return path.replace('{project}', project).replace('{repository}', 'app').replace('{tag}', 'v1').replace('{digest}', digest).replace('{reference}', 'v1');
    }
    if (path.startsWith('/robots/{name}')) return path.replace('{name}', encodeURIComponent(`robot$${project}+ci`));
    if (path.startsWith('/webhooks/{id}')) return path.replace('{id}', String(which === 'hidden' ? webhookId : 99_999));
    if (path.startsWith('/webhook-deliveries/{id}')) return path.replace('{id}', String(which === 'hidden' ? deliveryId : 99_999));
    return undefined;
  }

  /** Makes the two answers comparable: the names (and ids) of the two cases become the same. */
  const normal = (text: string) => text
    .replaceAll(HIDDEN, 'P').replaceAll(MISSING, 'P')
    .replaceAll(`webhook ${webhookId}`, 'webhook N').replaceAll('webhook 99999', 'webhook N').replaceAll(`"webhook":${webhookId}`, '"webhook":N').replaceAll('"webhook":99999', '"webhook":N')
    .replaceAll(`delivery ${deliveryId}`, 'delivery N').replaceAll('delivery 99999', 'delivery N').replaceAll(`"delivery":${deliveryId}`, '"delivery":N').replaceAll('"delivery":99999', '"delivery":N');

  it('every /api/v1 route that names a project, a robot, a webhook or a delivery', async () => {
    const doc = expectStatus(await call(server, 'GET', '/openapi.json'), 200).body as { paths: Record<string, Record<string, unknown>> };
    const checked: string[] = [];
    const problems: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!fill(path, 'hidden')) continue;
      for (const m of Object.keys(methods)) {
        const method = m.toUpperCase();
        const key = `${method} ${path}`;
        const needsBody = Boolean((methods[m] as { requestBody?: unknown }).requestBody);
        if (needsBody && !(key in BODIES)) {
          problems.push(`${key} takes a body: add an example to BODIES`);
          continue;
        }
        const answers = [];
        for (const which of ['missing', 'hidden'] as const) {
          const res = await call(server, method, fill(path, which)!, { as: mallory, ...(needsBody ? { body: BODIES[key] } : {}) });
          answers.push({ status: res.status, text: normal(res.text) });
        }
        checked.push(key);
        if (answers[0]!.status !== answers[1]!.status || answers[0]!.text !== answers[1]!.text) {
          problems.push(`${key}: missing → ${answers[0]!.status} ${answers[0]!.text}; hidden → ${answers[1]!.status} ${answers[1]!.text}`);
        }
        if (answers[1]!.status < 400) problems.push(`${key}: a stranger got ${answers[1]!.status} on the hidden project`);
      }
    }
    // The audit log's project filter, which takes the project in the query.
    const audits = [];
    for (const p of [MISSING, HIDDEN]) audits.push(await call(server, 'GET', `/audit?project=${p}`, { as: mallory }));
    if (audits[0]!.status !== audits[1]!.status || normal(audits[0]!.text) !== normal(audits[1]!.text)) problems.push(`GET /audit?project=: ${audits[0]!.text} vs ${audits[1]!.text}`);
    // A robot for several projects (administrators only) and the search.
    assert.ok(checked.length >= 25, `only ${checked.length} routes were checked: ${checked.join(', ')}`);
    assert.deepEqual(problems, [], problems.join('\n'));
    // And nothing was changed by any of it.
    const robots = expectStatus(await call(server, 'GET', `/projects/${HIDDEN}/robots`, { as: ADMIN }), 200).body.robots;
    assert.deepEqual(robots.map((r: { name: string; disabled: boolean }) => [r.name, r.disabled]), [[`robot$${HIDDEN}+ci`, false]]);
  });

  it('every /v2 route, and the token endpoint', async () => {
    const problems: string[] = [];
    const routes: [string, string][] = [
      ['GET', '/v2/P/app/manifests/v1'], ['HEAD', '/v2/P/app/manifests/v1'], ['DELETE', `/v2/P/app/manifests/${digest}`],
      ['PUT', '/v2/P/app/manifests/v2'],
      ['GET', `/v2/P/app/blobs/${digest}`], ['HEAD', `/v2/P/app/blobs/${digest}`], ['DELETE', `/v2/P/app/blobs/${digest}`],
      ['POST', '/v2/P/app/blobs/uploads/'], ['POST', `/v2/P/app/blobs/uploads/?mount=${digest}&from=P/app`],
      ['GET', '/v2/P/app/blobs/uploads/AAAAAAAAAAAAAAAAAAAAAAAA'], ['PATCH', '/v2/P/app/blobs/uploads/AAAAAAAAAAAAAAAAAAAAAAAA'],
      ['GET', '/v2/P/app/tags/list'], ['GET', `/v2/P/app/referrers/${digest}`],
    ];
    for (const [method, path] of routes) {
      const answers = [];
      for (const p of [MISSING, HIDDEN]) {
        const res = await fetch(`${server.url}${path.replaceAll('P/', `${p}/`)}`, {
          method, headers: { authorization: basic(mallory), accept: MANIFEST, ...(method === 'PUT' ? { 'content-type': MANIFEST } : {}) },
          ...(method === 'PUT' ? { body: '{}' } : {}),
        });
        const text = await res.text();
        answers.push({ status: res.status, text: normal(text), headers: normal(res.headers.get('www-authenticate') ?? '') });
      }
      if (JSON.stringify(answers[0]) !== JSON.stringify(answers[1])) problems.push(`${method} ${path}: ${JSON.stringify(answers)}`);
      if (answers[1]!.status < 400) problems.push(`${method} ${path}: a stranger got ${answers[1]!.status}`);
    }
    // Tokens: a stranger asking for the hidden project gets what a missing one gives (nothing).
    const grants = [];
    for (const p of [MISSING, HIDDEN]) {
      const res = await fetch(`${server.url}/auth/token?service=berth&scope=repository:${p}/app:pull,push`, { headers: { authorization: basic(mallory) } });
      const body = await res.json() as { token: string };
      grants.push(JSON.parse(Buffer.from(body.token.split('.')[1]!, 'base64url').toString()).access);
    }
    assert.deepEqual(grants, [[], []]);
    const catalog = await (await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: basic(mallory) } })).json() as { repositories: string[] };
    assert.ok(!catalog.repositories.some((r) => r.startsWith(`${HIDDEN}/`)));
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  it('search finds nothing of it', async () => {
    for (const path of [`/v1/search?q=${HIDDEN}`, `/api/v1/search?q=${HIDDEN}`]) {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: basic(mallory) } });
      assert.equal(res.status, 200);
      assert.doesNotMatch(await res.text(), new RegExp(`${HIDDEN}/app`));
    }
  });
});
