// HTTPS material for the registry port (server.tls): read the PEM files, and read them again on
// SIGHUP or when a file changes, swapping the secure context so that open connections stay up.
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { ConfigError } from '../core/config.ts';

export interface TlsFiles { certFile: string; keyFile: string; clientCAFile: string }
export interface TlsMaterial { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean }

/** Undefined when TLS is off; an error that says which key is missing when only half is set. */
export function readTls(files: TlsFiles): TlsMaterial | undefined {
  if (!files.certFile && !files.keyFile) {
    if (files.clientCAFile) throw new ConfigError('server.tls.clientCAFile: needs server.tls.certFile and server.tls.keyFile');
    return undefined;
  }
  if (!files.certFile || !files.keyFile) throw new ConfigError(`server.tls: ${files.certFile ? 'keyFile' : 'certFile'} is missing (give both --tls-cert and --tls-key)`);
  const read = (file: string, key: string) => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`server.tls.${key}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const ca = files.clientCAFile ? read(files.clientCAFile, 'clientCAFile') : undefined;
  return { cert: read(files.certFile, 'certFile'), key: read(files.keyFile, 'keyFile'), ...(ca ? { ca } : {}), requestCert: Boolean(ca), rejectUnauthorized: Boolean(ca) };
}

/**
 * Reloads on SIGHUP and on a change of any of the files (polled every 2 s, so a renewal by
 * certbot or cert-manager is picked up). A bad new pair is logged and the old one kept.
 */
export function watchTls(server: HttpsServer, files: TlsFiles, log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void }): () => void {
  const reload = (why: string) => {
    try {
      const m = readTls(files);
      if (!m) return;
      server.setSecureContext({ cert: m.cert, key: m.key, ...(m.ca ? { ca: m.ca } : {}) });
      log.info({ why }, 'TLS certificate reloaded');
    } catch (error) {
      log.error({ why, err: error }, 'TLS certificate not reloaded; the previous one stays in use');
    }
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const watched = [files.certFile, files.keyFile, files.clientCAFile].filter(Boolean);
  for (const f of watched) watchFile(f, { interval: 2000 }, (now, before) => { if (now.mtimeMs !== before.mtimeMs) reload(`${f} changed`); });
  return () => {
    process.off('SIGHUP', onHup);
    for (const f of watched) unwatchFile(f);
  };
}
