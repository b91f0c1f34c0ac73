// Parses an HTTP Basic Authorization header.
export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

export function parseBasic(authorization: string | undefined): BasicCredentials | undefined {
  if (!authorization) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
