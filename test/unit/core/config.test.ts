import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig, splitListen } from '../../../src/core/config.ts';
import { applyEnvironment, environmentKeys, loadConfig, readConfigFile } from '../../../src/cli/config-loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-config-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function yamlFile(text: string): string {
  const file = join(dir, `config-${fileCounter++}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Asserts fn throws a ConfigError whose message matches every pattern. */
function assertConfigError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    for (const p of patterns) assert.match(error.message, p);
    return true;
  });
}

describe('parseConfig defaults', () => {
  it('fills every section from an empty document', () => {
    const c = parseConfig({});
    assert.deepEqual(c, {
      server: { listen: ':5000', publicUrl: '', shutdownTimeoutSeconds: 30, bodyTimeoutSeconds: 30, idleTimeoutSeconds: 120, tls: { certFile: '', keyFile: '', clientCAFile: '' }, trustProxy: [], metrics: { listen: '127.0.0.1:5001' } },
      storage: { driver: 'filesystem', dataDir: './data', purgeUploadsAfterHours: 24, uploadHashState: 'auto', s3: { endpoint: '', region: 'us-east-1', bucket: '', accessKeyId: '', secretAccessKey: '', forcePathStyle: true, prefix: '', createBucket: true } },
      database: { dialect: 'sqlite', url: '' },
      auth: {
        mode: 'builtin',
        htpasswdFile: '',
        realm: 'Berth Registry',
        service: 'berth',
        tokenTtlSeconds: 300,
        refreshTtlSeconds: 30 * 86400,
        signingKeyFile: '',
        signingKey: '',
        loginMaxFailures: 10,
        loginWindowSeconds: 600,
        loginLockSeconds: 300,
        loginMaxFailuresPerAddress: 100,
        providers: [],
      },
      limits: { manifestMaxBytes: 4 * 1024 * 1024, pageMaxEntries: 10_000 },
      notifications: {
        endpoints: [], maxAttempts: 10, maxAgeSeconds: 86400, initialBackoffMs: 1000, maxBackoffMs: 300_000, timeoutMs: 5000,
        pollIntervalMs: 500, concurrency: 16, deliveryLogDays: 14, allowLoopback: false, allowPrivateNetworks: false, allowNetworks: [],
      },
      scan: { enabled: true, concurrency: 1, maxFeedAgeHours: 0, staleFeed: 'warn' },
      gc: { enabled: true, intervalSeconds: 300, reviewDelaySeconds: 7200, byteDeleteDelaySeconds: 60, untaggedManifests: true, keepTagHistory: 10, batchSize: 50 },
      proxy: { mirror: '' },
      log: { level: 'info' },
    });
  });

  it('treats undefined and null as an empty document', () => {
    assert.equal(parseConfig(undefined).server.listen, ':5000');
    assert.equal(parseConfig(null).storage.dataDir, './data');
  });

  it('keeps defaults for keys a partial section omits', () => {
    const c = parseConfig({ auth: { mode: 'htpasswd' } });
    assert.equal(c.auth.mode, 'htpasswd');
    assert.equal(c.auth.realm, 'Berth Registry');
    assert.equal(c.auth.htpasswdFile, '');
  });
});

describe('parseConfig validation', () => {
  it('rejects an unknown top-level key, naming it', () => {
    assertConfigError(() => parseConfig({ sever: {} }), /^sever: unknown key$/m);
  });

  it('rejects an unknown nested key, naming its path', () => {
    assertConfigError(() => parseConfig({ auth: { foo: 1 } }), /^auth\.foo: unknown key$/m);
    assertConfigError(() => parseConfig({ limits: { manifestMaxByte: 5000 } }), /^limits\.manifestMaxByte: unknown key$/m);
  });

  it('names every unknown key when there are several', () => {
    assertConfigError(() => parseConfig({ server: { a: 1, b: 2 } }), /^server\.a: unknown key$/m, /^server\.b: unknown key$/m);
  });

  it('rejects bad enum values, naming the key', () => {
    assertConfigError(() => parseConfig({ auth: { mode: 'ldap' } }), /^auth\.mode: /m);
    assertConfigError(() => parseConfig({ database: { dialect: 'mysql' } }), /^database\.dialect: /m);
    assertConfigError(() => parseConfig({ storage: { driver: 'gcs' } }), /^storage\.driver: /m);
    assertConfigError(() => parseConfig({ log: { level: 'verbose' } }), /^log\.level: /m);
    assertConfigError(() => parseConfig({ proxy: { mirror: 'Hub/x' } }), /^proxy\.mirror: expected a project name/m);
  });

  it('accepts every valid enum value', () => {
    assert.equal(parseConfig({ database: { dialect: 'postgres' } }).database.dialect, 'postgres');
    assert.equal(parseConfig({ log: { level: 'silent' } }).log.level, 'silent');
  });

  it('rejects a malformed listen address', () => {
    assertConfigError(() => parseConfig({ server: { listen: '5000' } }), /^server\.listen: expected HOST:PORT/m);
    assertConfigError(() => parseConfig({ server: { listen: 'localhost:' } }), /^server\.listen: /m);
  });

  it('accepts the listen forms it documents', () => {
    for (const listen of [':5000', '0.0.0.0:5000', '127.0.0.1:0', '[::1]:5000', 'registry.local:443']) {
      assert.equal(parseConfig({ server: { listen } }).server.listen, listen);
    }
  });

  it('enforces numeric bounds and types', () => {
    assertConfigError(() => parseConfig({ limits: { manifestMaxBytes: 1023 } }), /^limits\.manifestMaxBytes: /m);
    assertConfigError(() => parseConfig({ limits: { manifestMaxBytes: 1.5e6 + 0.5 } }), /^limits\.manifestMaxBytes: /m);
    assertConfigError(() => parseConfig({ limits: { pageMaxEntries: '10' } }), /^limits\.pageMaxEntries: /m);
    assertConfigError(() => parseConfig({ server: { shutdownTimeoutSeconds: -1 } }), /^server\.shutdownTimeoutSeconds: /m);
    assert.equal(parseConfig({ limits: { manifestMaxBytes: 1024 } }).limits.manifestMaxBytes, 1024);
  });

  it('rejects a section that is not a mapping', () => {
    assertConfigError(() => parseConfig({ server: 'yes' }), /^server: /m);
    assertConfigError(() => parseConfig({ storage: { dataDir: '' } }), /^storage\.dataDir: /m);
  });
});

describe('environment overrides', () => {
  it('lists BERTH_<SECTION>_<KEY> for every schema key, with snake-cased camelCase', () => {
    const keys = environmentKeys();
    assert.deepEqual(keys.get('BERTH_SERVER_LISTEN'), { section: 'server', key: 'listen', type: 'string' });
    assert.deepEqual(keys.get('BERTH_STORAGE_DATA_DIR'), { section: 'storage', key: 'dataDir', type: 'string' });
    assert.deepEqual(keys.get('BERTH_LIMITS_MANIFEST_MAX_BYTES'), { section: 'limits', key: 'manifestMaxBytes', type: 'number' });
    assert.deepEqual(keys.get('BERTH_AUTH_HTPASSWD_FILE'), { section: 'auth', key: 'htpasswdFile', type: 'string' });
    assert.deepEqual(keys.get('BERTH_SERVER_SHUTDOWN_TIMEOUT_SECONDS'), { section: 'server', key: 'shutdownTimeoutSeconds', type: 'number' });
    assert.equal(keys.get('BERTH_AUTH_MODE')?.type, 'enum');
  });

  it('reaches one level into nested sections', () => {
    const keys = environmentKeys();
    assert.deepEqual(keys.get('BERTH_SERVER_TLS_CERT_FILE'), { section: 'server', key: 'tls', sub: 'certFile', type: 'string' });
    const doc = applyEnvironment({ server: { tls: { keyFile: '/k.pem' } } }, {
      BERTH_SERVER_TLS_CERT_FILE: '/c.pem',
    });
    const c = parseConfig(doc);
    assert.deepEqual(c.server.tls, { certFile: '/c.pem', keyFile: '/k.pem', clientCAFile: '' });
  });

  it('applies string, path and numeric variables', () => {
    const doc = applyEnvironment({}, {
      BERTH_SERVER_LISTEN: '127.0.0.1:6000',
      BERTH_STORAGE_DATA_DIR: '/var/lib/berth',
      BERTH_LIMITS_MANIFEST_MAX_BYTES: '8388608',
    });
    assert.deepEqual(doc, {
      server: { listen: '127.0.0.1:6000' },
      storage: { dataDir: '/var/lib/berth' },
      limits: { manifestMaxBytes: 8388608 },
    });
    const c = parseConfig(doc);
    assert.equal(c.limits.manifestMaxBytes, 8 * 1024 * 1024);
    assert.equal(typeof c.limits.manifestMaxBytes, 'number');
  });

  it('rejects a non-number for a numeric key, naming the variable', () => {
    assertConfigError(() => applyEnvironment({}, { BERTH_LIMITS_MANIFEST_MAX_BYTES: 'lots' }), /BERTH_LIMITS_MANIFEST_MAX_BYTES: expected a number, got "lots"/);
  });

  it('ignores BERTH_ variables that are not config keys, and other variables', () => {
    const doc = applyEnvironment({ server: { listen: ':1' } }, { BERTH_ADMIN_PASSWORD: 'x', PATH: '/bin', SERVER_LISTEN: ':2' });
    assert.deepEqual(doc, { server: { listen: ':1' } });
  });

  it('does not mutate the document it is given', () => {
    const input = { server: { listen: ':1' } };
    const out = applyEnvironment(input, { BERTH_SERVER_LISTEN: ':2' });
    assert.equal(input.server.listen, ':1');
    assert.deepEqual(out, { server: { listen: ':2' } });
  });

  it('a bad enum from the environment fails validation, naming the key', () => {
    assertConfigError(() => loadConfig({}, { BERTH_AUTH_MODE: 'ldap' }), /^auth\.mode: /m);
  });
});

describe('loadConfig precedence: defaults < file < env < flags', () => {
  it('uses defaults with no file, env or flags', () => {
    const c = loadConfig({}, {});
    assert.equal(c.server.listen, ':5000');
    assert.equal(c.storage.dataDir, './data');
    assert.equal(c.auth.mode, 'builtin', 'auth is on by default (DESIGN.md, Security defaults)');
  });

  it('layers file, environment and flags', () => {
    const file = yamlFile([
      'server:',
      '  listen: "127.0.0.1:7000"',
      '  publicUrl: https://file.example',
      'storage:',
      '  dataDir: /from/file',
      'auth:',
      '  mode: htpasswd',
      '  htpasswdFile: /file/htpasswd',
      '  realm: File Realm',
      'limits:',
      '  manifestMaxBytes: 2048',
      '',
    ].join('\n'));

    const fileOnly = loadConfig({ config: file }, {});
    assert.equal(fileOnly.server.listen, '127.0.0.1:7000');
    assert.equal(fileOnly.storage.dataDir, '/from/file');
    assert.equal(fileOnly.limits.manifestMaxBytes, 2048);
    assert.equal(fileOnly.log.level, 'info', 'a default survives a file that does not mention it');

    const env = {
      BERTH_SERVER_LISTEN: '127.0.0.1:8000',
      BERTH_STORAGE_DATA_DIR: '/from/env',
      BERTH_LIMITS_MANIFEST_MAX_BYTES: '4096',
      BERTH_AUTH_REALM: 'Env Realm',
    };
    const withEnv = loadConfig({ config: file }, env);
    assert.equal(withEnv.server.listen, '127.0.0.1:8000');
    assert.equal(withEnv.storage.dataDir, '/from/env');
    assert.equal(withEnv.limits.manifestMaxBytes, 4096);
    assert.equal(withEnv.auth.realm, 'Env Realm');
    assert.equal(withEnv.server.publicUrl, 'https://file.example', 'file keys the env does not set survive');
    assert.equal(withEnv.auth.mode, 'htpasswd');

    const withFlags = loadConfig({ config: file, listen: '127.0.0.1:9000', data: '/from/flags', auth: 'none', htpasswd: '/flag/htpasswd' }, env);
    assert.equal(withFlags.server.listen, '127.0.0.1:9000');
    assert.equal(withFlags.storage.dataDir, '/from/flags');
    assert.equal(withFlags.auth.mode, 'none');
    assert.equal(withFlags.auth.htpasswdFile, '/flag/htpasswd');
    assert.equal(withFlags.auth.realm, 'Env Realm', 'env keys no flag sets survive');
    assert.equal(withFlags.limits.manifestMaxBytes, 4096);
  });

  it('rejects an unknown key in the file, naming it', () => {
    const file = yamlFile('auth:\n  foo: bar\n');
    assertConfigError(() => loadConfig({ config: file }, {}), /^auth\.foo: unknown key$/m);
    const top = yamlFile('storge:\n  dataDir: /x\n');
    assertConfigError(() => loadConfig({ config: top }, {}), /^storge: unknown key$/m);
  });

  it('an empty file is an empty document', () => {
    const file = yamlFile('');
    assert.equal(loadConfig({ config: file }, {}).server.listen, ':5000');
  });

  it('reports a missing file, invalid YAML and a non-mapping top level', () => {
    const missing = join(dir, 'does-not-exist.yaml');
    assertConfigError(() => readConfigFile(missing), /cannot read config file .*does-not-exist\.yaml/);
    const bad = yamlFile('server: [unclosed\n');
    assertConfigError(() => readConfigFile(bad), /is not valid YAML/);
    const list = yamlFile('- a\n- b\n');
    assertConfigError(() => readConfigFile(list), /the top level must be a mapping of sections/);
  });
});

describe('splitListen', () => {
  it('an empty host means every interface', () => {
    assert.deepEqual(splitListen(':5000'), { host: '::', port: 5000 });
  });

  it('an IPv4 host and port 0', () => {
    assert.deepEqual(splitListen('127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  });

  it('a bracketed IPv6 host loses its brackets', () => {
    assert.deepEqual(splitListen('[::1]:5000'), { host: '::1', port: 5000 });
  });

  it('a host name', () => {
    assert.deepEqual(splitListen('localhost:443'), { host: 'localhost', port: 443 });
  });
});

describe('server.trustProxy and server.metrics', () => {
  it('takes addresses, CIDRs and proxy-addr names; refuses host names and bad prefixes', () => {
    assert.deepEqual(parseConfig({ server: { trustProxy: ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback'] } }).server.trustProxy, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback']);
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '::1/129', '10.0.0.0/8/1', '']) {
      assert.throws(() => parseConfig({ server: { trustProxy: [bad] } }), /server\.trustProxy/, bad);
    }
  });
  it('the metrics listener is an address or "" (off)', () => {
    assert.equal(parseConfig({ server: { metrics: { listen: '' } } }).server.metrics.listen, '');
    assert.equal(parseConfig({ server: { metrics: { listen: '0.0.0.0:9100' } } }).server.metrics.listen, '0.0.0.0:9100');
    assert.throws(() => parseConfig({ server: { metrics: { listen: 'nine thousand' } } }), /server\.metrics\.listen/);
  });
});

describe('storage.s3', () => {
  it('driver s3 needs a bucket, named as S3 allows', () => {
    assert.throws(() => parseConfig({ storage: { driver: 's3' } }), /storage\.s3\.bucket[\s\S]*needs storage\.s3\.bucket/);
    assert.throws(() => parseConfig({ storage: { driver: 's3', s3: { bucket: 'Bad_Name' } } }), /storage\.s3\.bucket/);
    const c = parseConfig({ storage: { driver: 's3', s3: { bucket: 'berth-blobs', endpoint: 'http://127.0.0.1:7480', prefix: 'prod/' } } });
    assert.equal(c.storage.s3.bucket, 'berth-blobs');
    assert.throws(() => parseConfig({ storage: { s3: { prefix: 'no-slash' } } }), /storage\.s3\.prefix/);
  });
  it('takes its settings from BERTH_STORAGE_S3_* variables', () => {
    const c = loadConfig({}, { BERTH_STORAGE_DRIVER: 's3', BERTH_STORAGE_S3_BUCKET: 'b-1', BERTH_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:5280', BERTH_STORAGE_S3_ACCESS_KEY_ID: 'k', BERTH_STORAGE_S3_SECRET_ACCESS_KEY: 's', BERTH_STORAGE_S3_FORCE_PATH_STYLE: 'false' });
    assert.deepEqual({ ...c.storage.s3 }, { endpoint: 'http://127.0.0.1:5280', region: 'us-east-1', bucket: 'b-1', accessKeyId: 'k', secretAccessKey: 's', forcePathStyle: false, prefix: '', createBucket: true });
  });
});

describe('auth.providers (issue 19)', () => {
  const ldap = {
    name: 'corp', type: 'ldap', url: 'ldap://127.0.0.1:3890',
    bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret',
    userBase: 'ou=people,dc=example,dc=org', userFilter: '(uid={username})',
    groupBase: 'ou=groups,dc=example,dc=org', groupFilter: '(member={dn})',
  };
  const oidc = { name: 'sso', type: 'oidc', issuer: 'http://127.0.0.1:3000', clientId: 'berth', clientSecret: 's3cret', groupsClaim: 'groups' };

  it('parses the documented example, with defaults for what it omits', () => {
    const c = parseConfig({ auth: { providers: [ldap, oidc] } });
    assert.equal(c.auth.mode, 'builtin');
    const [l, o] = c.auth.providers;
    assert.equal(l?.type, 'ldap');
    if (l?.type !== 'ldap') return;
    assert.equal(l.url, 'ldap://127.0.0.1:3890');
    assert.equal(l.usernameAttribute, 'uid');
    assert.equal(l.groupNameAttribute, 'cn');
    assert.equal(l.startTLS, false);
    assert.equal(l.checkIntervalSeconds, 300);
    assert.equal(o?.type, 'oidc');
    if (o?.type !== 'oidc') return;
    assert.deepEqual(o.scopes, ['openid', 'profile', 'email']);
    assert.equal(o.groupsClaim, 'groups');
  });

  it('reads the same from YAML, as berth serve --config does', () => {
    const file = yamlFile(['auth:', '  providers:', '    - type: builtin', '    - name: corp', '      type: ldap', '      url: ldaps://ldap.example.org', '      caFile: /etc/ssl/corp-ca.pem', '      userBase: ou=people,dc=example,dc=org', ''].join('\n'));
    const c = loadConfig({ config: file }, {});
    assert.deepEqual(c.auth.providers.map((p) => `${p.name}:${p.type}`), ['builtin:builtin', 'corp:ldap']);
  });

  it('refuses unknown keys, a bad URL, a filter without {username}, duplicate names and both password forms', () => {
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, bindDn: 'x' }] } }), /^auth\.providers\.0\.bindDn: unknown key$/m);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, url: 'http://ldap' }] } }), /^auth\.providers\.0\.url: expected ldap:\/\//m);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, userFilter: '(uid=alice)' }] } }), /^auth\.providers\.0\.userFilter: must contain \{username\}/m);
    assertConfigError(() => parseConfig({ auth: { providers: [ldap, { ...ldap }] } }), /two providers are named corp/);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, bindPasswordFile: '/run/pw' }] } }), /bindPassword or bindPasswordFile, not both/);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, url: 'ldaps://ldap', startTLS: true }] } }), /startTLS upgrades an ldap:\/\/ connection/);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, name: 'builtin' }] } }), /the name builtin is kept for the local accounts/);
    assertConfigError(() => parseConfig({ auth: { providers: [{ ...ldap, type: 'kerberos' }] } }), /^auth\.providers\.0\.type: /m);
  });

  it('needs auth.mode builtin', () => {
    assertConfigError(() => parseConfig({ auth: { mode: 'none', providers: [ldap] } }), /auth\.providers needs auth\.mode builtin/);
    assert.equal(parseConfig({ auth: { mode: 'none' } }).auth.providers.length, 0);
  });
});
