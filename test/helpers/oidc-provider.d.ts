// The little of oidc-provider's API that test/helpers/oidc-server.ts uses (the package ships no
// types; @types/oidc-provider would be one more dependency for two lines).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
