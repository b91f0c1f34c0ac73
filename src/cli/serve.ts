// `berth serve`: start the registry and stop it gracefully on SIGTERM/SIGINT.
import type { AdminBootstrap } from '../auth/directory/users.ts';
import { startServer } from '../http/server.ts';
import { loadConfig, type ServeFlags } from './config-loader.ts';

export async function serve(flags: ServeFlags): Promise<void> {
  const config = loadConfig(flags);
  const server = await startServer(config);
  // Before the listening line, so whoever waits for that line has seen this too.
  tellAboutAdmin(server.adminBootstrap, config.storage.dataDir, Boolean(flags.config));
  // Printed whatever the log level: scripts and tests wait for this line.
  // `listen` is what is bound (":5000" is every interface); `address` is how to reach it from here.
  process.stdout.write(`${JSON.stringify({
    level: 30, time: Date.now(), msg: 'berth listening', address: server.address, listen: config.server.listen,
    metrics: server.metricsAddress ? `${server.metricsAddress}/metrics` : 'off', auth: config.auth.mode, dataDir: config.storage.dataDir,
  })}\n`);

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
    const started = Date.now();
    server.close().then(
      () => {
        // Whatever the log level, like the listening line: whoever stops Berth knows it is done.
        process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'berth stopped', signal, ms: Date.now() - started })}\n`);
        process.exit(0);
      },
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * What the start did about the administrator, said where the operator looks. A generated
 * password is printed once (it is stored hashed); how to reset it is always said with it.
 */
function tellAboutAdmin(bootstrap: AdminBootstrap | undefined, dataDir: string, viaConfig: boolean): void {
  if (!bootstrap) return;
  const target = viaConfig ? '--config FILE' : `--data ${dataDir}`;
  const reset = `printf '%s\\n' "$NEW_PASSWORD" | berth user passwd admin --password-stdin ${target}`;
  if (bootstrap.created) {
    if (bootstrap.password) {
      process.stdout.write(`\nCreated the administrator account (no administrator existed).\n  user:     ${bootstrap.name}\n  password: ${bootstrap.password}\nStore it now; it is not shown again. Lost it? Reset it on this machine with:\n  ${reset}\n\n`);
    } else {
      process.stdout.write(`\nCreated the administrator account ${bootstrap.name} with the password from BERTH_ADMIN_PASSWORD. Reset it with:\n  ${reset}\n\n`);
    }
    return;
  }
  if (bootstrap.reason === 'name-taken') {
    process.stderr.write(`\nberth: WARNING: no administrator exists, and the name admin is already taken by a user or project, so none was made${bootstrap.ignoredPassword ? ' (BERTH_ADMIN_PASSWORD was not used)' : ''}.\n  Make one on this machine: printf '%s\\n' "$PASSWORD" | berth user add NAME --admin --password-stdin ${target}\n  or promote a user: berth user update NAME --admin ${target}\n\n`);
    return;
  }
  if (bootstrap.ignoredPassword) {
    process.stderr.write(`berth: note: BERTH_ADMIN_PASSWORD is set, but an administrator exists already, so it was ignored. To reset a password: ${reset.replace(' admin ', ' NAME ')}\n`);
  }
}
