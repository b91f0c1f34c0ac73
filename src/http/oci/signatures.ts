// GET and PUT /extensions/v2/<name>/signatures/<digest>: the registry signature API extension.
// GET answers {"signatures": [{schemaVersion, type, name, content}]}; PUT stores one signature object.
import { RegistryError } from '../../core/errors.ts';
import { MAX_SIGNATURE_BYTES } from '../../registry/signatures.ts';
import { readLimited } from '../body.ts';
import type { OciCall } from './context.ts';

type SignaturesCall = OciCall & { route: { kind: 'signatures'; name: string; digest: string } };

export async function getSignatures(call: SignaturesCall): Promise<void> {
  const signatures = await call.deps.registry.signatures.list(call.repository, call.route.digest);
  call.reply.code(200).type('application/json').send(JSON.stringify({ signatures }));
}

export async function putSignature(call: SignaturesCall): Promise<void> {
  // Base64 and the JSON around it: a little more than the signature itself.
  const text = (await readLimited(call.request.raw, Math.ceil(MAX_SIGNATURE_BYTES * 4 / 3) + 4096, 'BODY_TOO_LARGE')).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RegistryError('INVALID_REQUEST', undefined, { message: 'the body is not JSON: send one signature object' });
  }
  await call.deps.registry.signatures.add(call.ctx, call.repository, call.route.digest, body);
  call.reply.code(201).send();
}
