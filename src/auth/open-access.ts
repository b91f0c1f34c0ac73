// auth.mode none: an open registry, for development and conformance runs.
import type { AuthProvider, Authentication } from './provider.ts';

export class OpenAccess implements AuthProvider {
  readonly mode = 'none';
  readonly loginRequired = false;

  async authenticate(): Promise<Authentication> {
    return { ok: true };
  }

  async authorize(): Promise<boolean> {
    return true;
  }

  challenge(): string {
    return 'Basic realm="Berth Registry"';
  }
}
