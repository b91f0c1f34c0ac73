// Thin wrappers over the skopeo commands the suites use, bound to one client environment and
// one registry. skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF, so plain HTTP is allowed with
// the tls flags (clients.md).
import type { ClientEnv } from './client-env.ts';
import { sha256 } from './fixtures.ts';
import type { Credentials, TestRegistry } from './registry.ts';
import type { RunResult } from './run.ts';

export interface SkopeoInspect {
  Name: string;
  Digest: string;
  RepoTags: string[];
  Architecture: string;
  Os: string;
  Layers: string[];
  Labels: Record<string, string> | null;
}

export interface RawManifest {
  /** The bytes exactly as the registry served them. */
  readonly raw: string;
  /** sha256 of those bytes. */
  readonly digest: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface SkopeoOptions {
  /** Credentials for the registry; `false` sends none (the auth file may still supply them). */
  creds?: Credentials | false;
}

export class Skopeo {
  constructor(
    private readonly client: ClientEnv,
    private readonly registry: TestRegistry,
  ) {}

  /** docker://HOST/name */
  ref(name: string): string {
    return `docker://${this.registry.host}/${name}`;
  }

  private creds(flag: string, o: SkopeoOptions): string[] {
    const c = o.creds === undefined ? this.registry.credentials : o.creds || undefined;
    return c ? [flag, `${c.user}:${c.password}`] : [];
  }

  private sideArgs(side: 'src' | 'dest', ref: string, o: SkopeoOptions): string[] {
    return ref.startsWith('docker://') ? [`--${side}-tls-verify=false`, ...this.creds(`--${side}-creds`, o)] : [];
  }

  copyArgs(src: string, dest: string, extra: string[] = [], o: SkopeoOptions = {}): string[] {
    return ['copy', '--retry-times=0', ...this.sideArgs('src', src, o), ...this.sideArgs('dest', dest, o), ...extra, src, dest];
  }

  copy(src: string, dest: string, extra: string[] = [], o: SkopeoOptions = {}): Promise<RunResult> {
    return this.client.run('skopeo', this.copyArgs(src, dest, extra, o));
  }

  inspectArgs(ref: string, extra: string[] = [], o: SkopeoOptions = {}): string[] {
    return ['inspect', '--tls-verify=false', ...this.creds('--creds', o), ...extra, ref];
  }

  async inspect(ref: string, extra: string[] = [], o: SkopeoOptions = {}): Promise<SkopeoInspect> {
    const { stdout } = await this.client.run('skopeo', this.inspectArgs(ref, extra, o));
    return JSON.parse(stdout) as SkopeoInspect;
  }

  async inspectRaw(ref: string, extra: string[] = [], o: SkopeoOptions = {}): Promise<RawManifest> {
    const { stdout } = await this.client.run('skopeo', this.inspectArgs(ref, ['--raw', ...extra], o));
    return { raw: stdout, digest: sha256(stdout), json: JSON.parse(stdout) };
  }

  async listTags(ref: string, o: SkopeoOptions = {}): Promise<string[]> {
    const { stdout } = await this.client.run('skopeo', ['list-tags', '--tls-verify=false', ...this.creds('--creds', o), ref]);
    return (JSON.parse(stdout) as { Tags: string[] }).Tags;
  }
}
