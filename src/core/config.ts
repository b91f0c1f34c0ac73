// The one configuration schema (pure: no I/O). Loading from YAML, env and flags lives in cli/.
// Strict everywhere: an unknown key is an error that names the key.
import { isIP } from 'node:net';
import { z } from 'zod';

/** An address or CIDR proxy-addr understands, or one of its names. */
function isProxyAddress(value: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [ip, bits, ...rest] = value.split('/');
  if (rest.length || !ip || isIP(ip) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(ip) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/** A provider's name: shown on the sign-in page, given to `berth group-map --provider`. */
const providerName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected 1-40 lowercase letters, digits, "_" or "-"');

/** An LDAP directory (docs/access.md, LDAP): users sign in with their directory password. */
export const ldapProviderSchema = z.strictObject({
  name: providerName,
  type: z.literal('ldap'),
  /** Shown on the sign-in page; the name when empty. */
  displayName: z.string().max(100).default(''),
  /** ldap://host:389 or ldaps://host:636. */
  url: z.string().regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'expected ldap://HOST[:PORT] or ldaps://HOST[:PORT]'),
  /** Upgrade an ldap:// connection with StartTLS before anything is sent. */
  startTLS: z.boolean().default(false),
  /** PEM CA certificates the directory's certificate must chain to (ldaps:// or startTLS); empty: the system's. */
  caFile: z.string().default(''),
  /** The service account Berth searches as; empty: anonymous searches. */
  bindDN: z.string().default(''),
  bindPassword: z.string().default(''),
  /** The service account's password from a file (0600), instead of bindPassword. */
  bindPasswordFile: z.string().default(''),
  userBase: z.string().min(1),
  /** {username} is replaced by the name typed, escaped (RFC 4515). */
  userFilter: z.string().regex(/\{username\}/, 'must contain {username}').default('(uid={username})'),
  /** The attribute that holds the Berth user name. */
  usernameAttribute: z.string().min(1).default('uid'),
  emailAttribute: z.string().min(1).default('mail'),
  displayNameAttribute: z.string().min(1).default('cn'),
  /** Where groups are searched; empty: no groups (mappings then never apply). */
  groupBase: z.string().default(''),
  /** {dn} is the user's DN and {username} their name, both escaped. */
  groupFilter: z.string().default('(member={dn})'),
  /** The attribute that names a group in mappings. */
  groupNameAttribute: z.string().min(1).default('cn'),
  /** Connect and operation timeout. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  /** Tokens, refresh tokens and sessions of this provider's users are checked against it again after this long. */
  checkIntervalSeconds: z.number().int().min(1).max(86_400).default(300),
});

/** An OpenID Connect provider. */
export const oidcProviderSchema = z.strictObject({
  name: providerName,
  type: z.literal('oidc'),
  displayName: z.string().max(100).default(''),
  issuer: z.string().url(),
  clientId: z.string().min(1),
  clientSecret: z.string().default(''),
  clientSecretFile: z.string().default(''),
  scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
  usernameClaim: z.string().min(1).default('preferred_username'),
  groupsClaim: z.string().min(1).default('groups'),
  clockSkewSeconds: z.number().int().min(0).max(600).default(30),
  checkIntervalSeconds: z.number().int().min(1).max(86_400).default(300),
});

export const builtinProviderSchema = z.strictObject({
  name: providerName.default('builtin'),
  type: z.literal('builtin'),
  displayName: z.string().max(100).default(''),
});

export const providerSchema = z.discriminatedUnion('type', [builtinProviderSchema, ldapProviderSchema, oidcProviderSchema]);
export type ProviderConfig = z.infer<typeof providerSchema>;
export type LdapProviderConfig = z.infer<typeof ldapProviderSchema>;
export type OidcProviderConfig = z.infer<typeof oidcProviderSchema>;

/** Names are unique; at most one builtin entry (the local accounts are there whether listed or not). */
function providersProblem(list: readonly ProviderConfig[]): string | undefined {
  const seen = new Set<string>();
  for (const p of list) {
    if (seen.has(p.name)) return `two providers are named ${p.name}: names must be unique`;
    seen.add(p.name);
    if (p.type !== 'builtin' && p.name === 'builtin') return 'the name builtin is kept for the local accounts';
    if (p.type === 'ldap' && p.startTLS && p.url.toLowerCase().startsWith('ldaps:')) return `provider ${p.name}: startTLS upgrades an ldap:// connection; ldaps:// is TLS from the start`;
    if (p.type === 'ldap' && p.bindPassword && p.bindPasswordFile) return `provider ${p.name}: give bindPassword or bindPasswordFile, not both`;
    if (p.type === 'oidc' && p.clientSecret && p.clientSecretFile) return `provider ${p.name}: give clientSecret or clientSecretFile, not both`;
  }
  if (list.filter((p) => p.type === 'builtin').length > 1) return 'at most one builtin provider';
  return undefined;
}

const listen = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'expected HOST:PORT, e.g. 0.0.0.0:5000 or :5000');

export const configSchema = z.strictObject({
  server: z.strictObject({
    /** Address to listen on; ":5000" listens on every interface. */
    listen: listen.default(':5000'),
    /** Public base URL (e.g. https://registry.example.com) used in absolute links; derived from the request when empty. */
    publicUrl: z.string().default(''),
    /** Seconds to wait for in-flight requests on SIGTERM before exiting. */
    shutdownTimeoutSeconds: z.number().int().min(0).max(3600).default(30),
    /**
     * Small bodies (token requests, API calls, manifests) must arrive within this many seconds of
     * their headers; a slower one is answered 408 and its connection closed.
     */
    bodyTimeoutSeconds: z.number().int().min(1).max(3600).default(30),
    /**
     * A connection that moves no bytes for this many seconds is closed: a stalled upload ends
     * (and its chunk is rolled back) instead of holding the connection forever. Uploads have no
     * total time limit.
     */
    idleTimeoutSeconds: z.number().int().min(5).max(86400).default(120),
    /**
     * HTTPS on the registry port: a PEM certificate (chain) and its key. Both or neither. They are
     * read again on SIGHUP and when either file changes, without dropping connections.
     */
    tls: z.strictObject({
      certFile: z.string().default(''),
      keyFile: z.string().default(''),
      /** Mutual TLS: clients must present a certificate signed by a CA in this PEM file. */
      clientCAFile: z.string().default(''),
    }).prefault({}),
    /**
     * Reverse proxies whose X-Forwarded-For, -Proto and -Host are believed (addresses or CIDRs,
     * or loopback, linklocal, uniquelocal). They then give the client's address (audit log, rate
     * limits) and the scheme and host the client used (token realm, absolute links). Empty: the
     * headers are ignored, since any client could send them.
     */
    trustProxy: z.array(z.string().refine(isProxyAddress, 'expected an IP address, a CIDR (10.0.0.0/8), loopback, linklocal or uniquelocal')).default([]),
    metrics: z.strictObject({
      /**
       * Prometheus /metrics (and /healthz, /readyz) on their own listener, away from the registry
       * port, as Distribution's debug address. Loopback by default; "" turns it off.
       */
      listen: z.union([z.literal(''), listen]).default('127.0.0.1:5001'),
    }).prefault({}),
  }).prefault({}),
  storage: z.strictObject({
    /** filesystem (under dataDir) or s3 (an S3-compatible bucket; docs/scale-out.md). */
    driver: z.enum(['filesystem', 's3']).default('filesystem'),
    /** The data directory: blobs under <dataDir>/storage, the SQLite file at <dataDir>/berth.db. */
    dataDir: z.string().min(1).default('./data'),
    /**
     * Upload sessions untouched for this many hours, and leftovers of writes that never finished
     * (a crash mid-push), are removed at start and then every hour.
     */
    purgeUploadsAfterHours: z.number().min(0.01).max(24 * 365).default(24),
    /**
     * Where the running digest of a chunked upload lives. memory: in the process (the fastest;
     * one instance). database: saved with each chunk's offset, so the next PATCH or the closing
     * PUT continues it on any instance instead of re-reading the upload. auto: database when the
     * database is PostgreSQL (several instances may share it), else memory.
     */
    uploadHashState: z.enum(['auto', 'memory', 'database']).default('auto'),
    /** The bucket for driver s3 (AWS, Ceph radosgw, MinIO). */
    s3: z.strictObject({
      /** e.g. http://127.0.0.1:7480 for radosgw; empty for AWS (the region's endpoint). */
      endpoint: z.string().default(''),
      region: z.string().min(1).default('us-east-1'),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)').or(z.literal('')).default(''),
      /** Empty: the SDK's own chain (AWS_ACCESS_KEY_ID, instance roles). */
      accessKeyId: z.string().default(''),
      secretAccessKey: z.string().default(''),
      /** http://host/bucket/key URLs: what radosgw and MinIO on an address need. */
      forcePathStyle: z.boolean().default(true),
      /** A key prefix inside the bucket, e.g. "berth/", so that several registries share one. */
      prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, 'expected folders ending in "/", e.g. "berth/"').default(''),
      /** Create the bucket at the first start when it does not exist. */
      createBucket: z.boolean().default(true),
    }).prefault({}),
  }).prefault({}).refine((s) => s.driver !== 's3' || s.s3.bucket !== '', { message: 'storage.driver s3 needs storage.s3.bucket (BERTH_STORAGE_S3_BUCKET)', path: ['s3', 'bucket'] }),
  database: z.strictObject({
    dialect: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** PostgreSQL connection string (dialect postgres). SQLite uses <dataDir>/berth.db. */
    url: z.string().default(''),
  }).prefault({}),
  auth: z.strictObject({
    /** builtin: Berth's users, projects, robots and token auth. none: open. htpasswd: a bcrypt file. */
    mode: z.enum(['builtin', 'none', 'htpasswd']).default('builtin'),
    /** bcrypt htpasswd file (auth.mode htpasswd), as made by `htpasswd -B`. */
    htpasswdFile: z.string().default(''),
    realm: z.string().default('Berth Registry'),
    /** The token service name (the JWT audience); clients echo it back from the challenge. */
    service: z.string().min(1).max(200).default('berth'),
    /** Lifetime of registry bearer tokens. */
    tokenTtlSeconds: z.number().int().min(30).max(3600).default(300),
    /** Lifetime of OAuth2 refresh tokens (docker and podman keep them instead of passwords). */
    refreshTtlSeconds: z.number().int().min(300).max(90 * 86400).default(30 * 86400),
    /**
     * The token signing key (ECDSA P-256, PEM or JWK) from a file (0600) instead of the database,
     * so that reading the database is not enough to mint tokens. Every instance needs the same.
     */
    signingKeyFile: z.string().default(''),
    /** The same key as text, normally from the environment (BERTH_AUTH_SIGNING_KEY). */
    signingKey: z.string().default(''),
    /** Failed logins for one account from one address within loginWindowSeconds before a lock. */
    loginMaxFailures: z.number().int().min(1).max(1000).default(10),
    loginWindowSeconds: z.number().int().min(1).max(86400).default(600),
    loginLockSeconds: z.number().int().min(1).max(86400).default(300),
    /**
     * Failed logins from one address, whatever the accounts, within loginWindowSeconds before the
     * address is locked for loginLockSeconds (every account, the right password too): stops a
     * spray of many user names from one address. Clients behind one NAT share the count.
     */
    loginMaxFailuresPerAddress: z.number().int().min(1).max(100_000).default(100),
    /**
     * Where users sign in besides the local accounts (which are always there, for administrators
     * and robots): LDAP directories and OpenID Connect providers, several at once (docs/access.md).
     */
    providers: z.array(providerSchema).default([]).superRefine((list, ctx) => {
      const problem = providersProblem(list);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  }).prefault({}).refine((a) => a.mode === 'builtin' || a.providers.length === 0, { message: 'auth.providers needs auth.mode builtin (the local accounts stay beside the providers)', path: ['providers'] }),
  limits: z.strictObject({
    /** Largest manifest accepted, in bytes (413 above it). */
    manifestMaxBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Largest page a tag list or catalog returns, whatever `n` asks. */
    pageMaxEntries: z.number().int().min(1).max(100_000).default(10_000),
  }).prefault({}),
  notifications: z.strictObject({
    /** Registry-wide webhook endpoints, in the spirit of Distribution's notifications.endpoints (docs/webhooks.md). */
    endpoints: z.array(z.strictObject({
      /** Unique; a restart updates the endpoint of this name instead of adding another. */
      name: z.string().min(1).max(100),
      disabled: z.boolean().default(false),
      url: z.string().url(),
      /** Extra request headers; a list value is joined with ", ". */
      headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
      /** HMAC-SHA256 signing secret for the Berth-Signature header; empty: unsigned. */
      secret: z.string().default(''),
      /** push, pull, delete, tag, scan.completed, vulnerability.new (the scan feature's), quota.warning (the quota feature's). */
      events: z.array(z.enum(['push', 'pull', 'delete', 'tag', 'scan.completed', 'vulnerability.new', 'quota.warning'])).min(1).default(['push', 'pull', 'delete', 'tag']),
      /** berth, cloudevents, distribution (the default here, as Distribution sends) or slack. */
      format: z.enum(['berth', 'cloudevents', 'distribution', 'slack']).default('distribution'),
      /** A glob on repository names (or repository:tag when it has a colon); empty: all. */
      filter: z.string().default(''),
      /** Per-attempt timeout. */
      timeoutMs: z.number().int().min(100).max(60_000).optional(),
      /** Attempts per event before it is given up and the endpoint paused. */
      threshold: z.number().int().min(1).max(100).optional(),
      /** The first retry's delay; it doubles each time, with jitter. */
      backoffMs: z.number().int().min(10).max(3_600_000).optional(),
      ignoredMediaTypes: z.array(z.string()).default([]),
      ignore: z.strictObject({
        mediaTypes: z.array(z.string()).default([]),
        actions: z.array(z.enum(['push', 'pull', 'delete', 'tag'])).default([]),
      }).prefault({}),
      /** This endpoint may reach loopback and private addresses (docs/webhooks.md, Safety). */
      allowPrivateTargets: z.boolean().default(false),
    })).default([]),
    /** Defaults for every webhook: attempts per event, how long an event may keep retrying, backoff, timeout. */
    maxAttempts: z.number().int().min(1).max(100).default(10),
    maxAgeSeconds: z.number().int().min(1).max(7 * 86400).default(86400),
    initialBackoffMs: z.number().int().min(10).max(3_600_000).default(1000),
    maxBackoffMs: z.number().int().min(10).max(86_400_000).default(300_000),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /** How often the worker looks for work another instance queued (its own pushes wake it at once). */
    pollIntervalMs: z.number().int().min(50).max(60_000).default(500),
    /** Webhooks delivered at the same time by one instance; a slow receiver holds only its own. */
    concurrency: z.number().int().min(1).max(256).default(16),
    /** Finished deliveries and their attempts are kept this long (pending ones until delivered or given up). */
    deliveryLogDays: z.number().int().min(1).max(3650).default(14),
    /**
     * Webhooks reach public addresses only, unless an administrator grants more here or per
     * webhook (allowPrivateTargets). Loopback receivers: 127.0.0.0/8, ::1 and their IPv6 forms.
     */
    allowLoopback: z.boolean().default(false),
    /** Private ranges: 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7, fec0::/10. */
    allowPrivateNetworks: z.boolean().default(false),
    /**
     * CIDR ranges to open although the guard refuses them. An entry opens only what lies inside
     * one special-purpose range (10.0.0.0/8, 169.254.0.0/16, ...); a metadata address such as
     * 169.254.169.254 needs its own /32.
     */
    allowNetworks: z.array(z.string()).default([]),
  }).prefault({}),
  scan: z.strictObject({
    /** Vulnerability scanning, SBOMs and scan policies (docs/scan.md). */
    enabled: z.boolean().default(true),
    /** Images one instance scans at the same time. */
    concurrency: z.number().int().min(1).max(16).default(1),
    /** The vulnerability feed counts as stale past this age (0: never). */
    maxFeedAgeHours: z.number().min(0).max(24 * 3650).default(0),
    /** warn: say so in reports, status and logs; block: projects with a policy refuse pulls until a newer feed is imported. */
    staleFeed: z.enum(['warn', 'block']).default('warn'),
  }).prefault({}),
  gc: z.strictObject({
    /** The continuous online garbage collector (docs/gc.md); `berth gc` works either way. */
    enabled: z.boolean().default(true),
    /** Seconds between the worker's passes over the review queues. */
    intervalSeconds: z.number().min(0.05).max(86_400).default(300),
    /**
     * How long a candidate waits before it is reviewed: what an upload, a mount, an untagged push
     * or a lost tag leaves behind is protected this long (a HEAD of a queued blob renews it), so
     * a push in progress never loses a blob it is about to reference.
     */
    reviewDelaySeconds: z.number().min(0).max(30 * 86_400).default(7200),
    /** Delay between removing a blob's rows and removing its bytes (pulls that resolved the rows just before finish). */
    byteDeleteDelaySeconds: z.number().min(0).max(86_400).default(60),
    /** Collect manifests that no tag, index, subject or recent tag history keeps. */
    untaggedManifests: z.boolean().default(true),
    /** The manifests of each tag's last K history entries are kept, so that rollback works. */
    keepTagHistory: z.number().int().min(0).max(1000).default(10),
    /** Candidates per transaction (each batch holds SQLite's one writer, and its event loop, for its length). */
    batchSize: z.number().int().min(1).max(5000).default(50),
  }).prefault({}),
  proxy: z.strictObject({
    /**
     * Transparent mirror mode (docs/proxy.md): the proxy project that pulls of unprefixed names go
     * to when nothing here has them (docker's registry-mirrors asks for /v2/library/nginx/...).
     * Empty: off.
     */
    mirror: z.string().max(255).regex(/^([a-z0-9]+(?:[._-][a-z0-9]+)*)?$/, 'expected a project name, e.g. hub').default(''),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  }).prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Formats zod issues as lines that name the key, e.g. `auth.mode: expected one of none|htpasswd`. */
export function formatConfigIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key`).join('\n');
      }
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('\n');
}

export function parseConfig(input: unknown): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(formatConfigIssues(result.error));
  return result.data;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Splits "HOST:PORT" (":5000", "[::1]:5000") into parts; an empty host means every interface. */
export function splitListen(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  let host = value.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host || '::', port: Number(value.slice(i + 1)) };
}
