// The OpenAPI document of /api/v1: valid JSON (3.1), served by a real server, listing exactly the
// routes fastify registers (the core's and the enabled features'); and /api/v1 exists only with
// auth.mode builtin.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createBuiltinAuth } from '../../src/auth/builtin.ts';
import { parseConfig } from '../../src/core/config.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enableScan } from '../../src/features/scan/index.ts';
import { enableTrust } from '../../src/features/trust/index.ts';
import { enableGc } from '../../src/features/gc/index.ts';
import { enableProxy } from '../../src/features/proxy/index.ts';
import { enableReplication } from '../../src/features/replication/index.ts';
import { enableRetention } from '../../src/features/retention/index.ts';
import { enableImmutability } from '../../src/features/immutability/index.ts';
import { enableQuota } from '../../src/features/quota/index.ts';
import { API_PREFIX, openApiDocument, registerApi, type ApiDeps } from '../../src/http/api/index.ts';
import { JobRunner } from '../../src/jobs/runner.ts';
import { EventBus } from '../../src/registry/event-bus.ts';
import { Registry } from '../../src/registry/registry.ts';
import { FilesystemDriver } from '../../src/storage/filesystem.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { call, expectStatus, startApiServer } from './api-helpers.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[]; operationId: string }>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function documented(doc: Doc): string[] {
  const out: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      assert.ok(METHODS.includes(method), `unexpected key ${method} under ${path}`);
      out.push(`${method.toUpperCase()} ${API_PREFIX}${path.replace(/\{([^}]+)\}/g, ':$1')}`);
    }
  }
  return out.sort();
}

describe('api: OpenAPI document', () => {
  let metadata: MetadataDb;
  let dir: string;
  let deps: ApiDeps;
  before(async () => {
    metadata = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    dir = mkdtempSync(join(tmpdir(), 'berth-openapi-'));
    // The API as the server composes it: the core routes and every enabled feature's.
    const config = parseConfig({});
    const identity = await createBuiltinAuth(metadata.db, config);
    const storage = new FilesystemDriver(dir);
    const registry = new Registry({ db: metadata.db, storage, bus: new EventBus(), limits: { manifestMaxBytes: 4 << 20, pageMaxEntries: 1000 } });
    const jobs = new JobRunner(metadata.db, { pollMs: 1000, leaseMs: 60_000, keepMs: 86_400_000, onError: () => {} });
    const featureContext = { db: metadata.db, dialect: 'sqlite' as const, config, registry, storage, jobs, identity, record: () => {}, log: { info() {}, warn() {}, error() {} } };
    deps = { ...identity, db: metadata.db, features: [enableScan(featureContext), enableTrust(featureContext), enableRetention(featureContext), enableImmutability(featureContext), enableQuota(featureContext), enableGc(featureContext), enableProxy(featureContext), enableReplication(featureContext)], jobs, registry };
  });
  after(async () => {
    await metadata?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists exactly the routes fastify registers under /api/v1', async () => {
    const app = Fastify({ exposeHeadRoutes: false });
    const registered: string[] = [];
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) registered.push(`${m} ${r.url}`);
    });
    registerApi(app, deps);
    await app.ready();
    const doc = openApiDocument(deps) as Doc;
    assert.deepEqual(documented(doc), registered.filter((r) => r.includes(API_PREFIX)).sort());
    // The routes the issue asks for are all there.
    for (const r of [
      'GET /users', 'POST /users', 'GET /users/{name}', 'PATCH /users/{name}', 'DELETE /users/{name}', 'PUT /users/{name}/password',
      'GET /projects', 'POST /projects', 'GET /projects/{name}', 'PATCH /projects/{name}', 'DELETE /projects/{name}',
      'GET /projects/{name}/members', 'PUT /projects/{name}/members/{user}', 'DELETE /projects/{name}/members/{user}',
      'GET /projects/{name}/robots', 'POST /projects/{name}/robots', 'GET /robots', 'POST /robots', 'POST /robots/{name}/rotate',
      'PATCH /robots/{name}', 'DELETE /robots/{name}', 'GET /users/{name}/tokens', 'POST /users/{name}/tokens',
      'DELETE /users/{name}/tokens/{id}', 'GET /audit', 'GET /me', 'GET /openapi.json',
      'GET /vulndb', 'POST /vulndb/imports', 'GET /repositories/{project}/{repository}/reports/{reference}', 'GET /scan/packages', 'GET /jobs/{id}',
      'GET /projects/{name}/retention', 'PUT /projects/{name}/retention', 'POST /projects/{name}/retention/preview', 'POST /projects/{name}/retention/runs', 'GET /projects/{name}/retention/runs',
      'GET /repositories/{project}/{repository}/tags/{tag}/history', 'POST /repositories/{project}/{repository}/tags/{tag}/rollback',
      'GET /projects/{name}/immutable-rules', 'POST /projects/{name}/immutable-rules', 'DELETE /projects/{name}/immutable-rules/{id}',
      'GET /repositories/{project}/{repository}/immutable',
      'GET /gc', 'GET /gc/runs', 'POST /gc/runs',
      'GET /proxy-projects', 'POST /proxy-projects', 'DELETE /proxy-projects/{name}',
      'GET /replication/rules', 'POST /replication/rules', 'GET /replication/rules/{name}', 'PATCH /replication/rules/{name}', 'DELETE /replication/rules/{name}',
      'POST /replication/rules/{name}/runs', 'GET /replication/rules/{name}/runs', 'GET /replication/runs/{id}',
      'GET /identity-providers', 'GET /group-mappings', 'PUT /group-mappings/admins', 'DELETE /group-mappings/admins',
      'GET /projects/{name}/group-mappings', 'PUT /projects/{name}/group-mappings', 'DELETE /projects/{name}/group-mappings',
      'POST /me/cli-secret', 'DELETE /me/cli-secret',
      'GET /repositories/{project}/{repository}/manifests/{digest}/details', 'GET /user-names',
      'PATCH /repositories/{project}/{repository}', 'DELETE /repositories/{project}/{repository}',
    ]) {
      const [method, path] = r.split(' ') as [string, string];
      assert.ok(doc.paths[path]?.[method.toLowerCase()], `${r} is not documented`);
    }
    await app.close();
  });

  it('is well formed: path parameters declared, unique operation ids, refs that resolve', () => {
    const doc = openApiDocument(deps) as Doc & { components: { schemas: Record<string, unknown> } };
    assert.equal(doc.openapi, '3.1.0');
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
        assert.ok(Object.keys(op.responses).length > 0, `${method} ${path} has no responses`);
        for (const p of params) assert.ok(op.parameters?.some((x) => x.in === 'path' && x.name === p), `${method} ${path} does not declare {${p}}`);
      }
    }
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) {
      assert.ok(doc.components.schemas[ref[1]!], `unresolved $ref ${ref[1]}`);
    }
  });

  describe('served by berth serve', () => {
    let server: BerthProcess;
    before(async () => { server = await startApiServer(); });
    after(async () => { await server?.stop(); });

    it('GET /api/v1/openapi.json is JSON, anonymous, and the same document', async () => {
      const res = expectStatus(await call(server, 'GET', '/openapi.json'), 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const doc = JSON.parse(res.text) as Doc;
      assert.equal(doc.openapi, '3.1.0');
      assert.deepEqual(documented(doc), documented(openApiDocument(deps) as Doc));
    });
  });

  describe('other auth modes', () => {
    let server: BerthProcess;
    before(async () => { server = await startBerth({ auth: 'none' }); });
    after(async () => { await server?.stop(); });

    it('/api/v1 is not registered when auth.mode is not builtin', async () => {
      expectStatus(await call(server, 'GET', '/openapi.json'), 404);
      expectStatus(await call(server, 'GET', '/projects'), 404);
    });
  });
});
