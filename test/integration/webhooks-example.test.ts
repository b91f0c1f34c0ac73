// The deploy-on-push example (examples/deploy-on-push/receiver.mjs) against a real Berth: it
// verifies signatures, ignores other tags, and runs its command with the new image's digest.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { Pusher } from './webhooks-helpers.ts';

const RECEIVER = resolve(import.meta.dirname, '..', '..', 'examples', 'deploy-on-push', 'receiver.mjs');
const SECRET = 'example-secret-0123456789';

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < end; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('examples/deploy-on-push', () => {
  let server: BerthProcess | undefined;
  let child: ChildProcess | undefined;
  after(async () => {
    await server?.stop();
    child?.kill('SIGKILL');
  });

  it('deploys pushes of the chosen tag, pinned by digest, and refuses bad signatures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-deploy-example-'));
    const out = join(dir, 'deployed.txt');
    child = spawn(process.execPath, [RECEIVER], {
      env: { ...process.env, BERTH_WEBHOOK_SECRET: SECRET, PORT: '0', DEPLOY_TAG: '1.4', DEPLOY_COMMAND: `printf '%s\\n' "$BERTH_IMAGE" >> '${out}'` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
    const url = await until('the receiver to listen', 10_000, async () => /"url":"([^"]+)"/.exec(output)?.[1]);

    const forged = await fetch(url, { method: 'POST', body: '{"type":"artifact.pushed"}', headers: { 'berth-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` } });
    assert.equal(forged.status, 401);

    // The receiver is on loopback: the endpoint carries the administrator's exception, as in the README.
    server = await startBerth({ auth: 'none', config: { notifications: { endpoints: [{ name: 'deploy', url, secret: SECRET, events: ['push'], format: 'berth', allowPrivateTargets: true }] } } });
    const pusher = new Pusher(server.url);
    await pusher.push('library/app', '1.3');
    const digest = await pusher.push('library/app', '1.4');
    const deployed = await until('the deploy command', 10_000, async () => {
      const text = await readFile(out, 'utf8').catch(() => '');
      return text.trim() ? text : undefined;
    });
    assert.equal(deployed, `${server.host}/library/app@${digest}\n`, 'only 1.4, pinned by digest');
  });
});
