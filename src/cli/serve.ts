// `berth serve`: start the registry and stop it gracefully on SIGTERM/SIGINT.
import { startServer } from '../http/server.ts';
import { loadConfig, type ServeFlags } from './config-loader.ts';

export async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig(flags);
  const server = await startServer(config);
  // Printed whatever the log level: scripts and tests wait for this line.
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'berth listening', address: server.address, auth: config.auth.mode, dataDir: config.storage.dataDir })}\n`);
  if (server.generatedAdminPassword) {
    // Printed once, on the first start only; it is stored hashed and cannot be shown again.
    process.stdout.write(`\nFirst start: created the administrator account.\n  user:     admin\n  password: ${server.generatedAdminPassword}\nStore it now; it is not shown again. Change it with: berth user passwd admin --password-stdin\n\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      server.app.log.warn('shutdown timed out; exiting with requests still in flight');
      process.exit(1);
    }, config.server.shutdownTimeoutSeconds * 1000);
    timer.unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
