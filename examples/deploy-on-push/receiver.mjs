#!/usr/bin/env node
// A deploy-on-push webhook receiver for Berth: plain Node, no dependencies.
// It verifies the Berth-Signature header, ignores anything but pushes of the chosen tag, drops
// duplicate deliveries (Berth delivers at least once), answers at once, and then runs the
// deploy command with the new image pinned by digest. See README.md in this directory.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { Buffer } from 'node:buffer';

const SECRET = process.env.BERTH_WEBHOOK_SECRET;
const HOST = process.env.HOST ?? '127.0.0.1';
const PORT = Number(process.env.PORT ?? 9000);
const TAG = process.env.DEPLOY_TAG ?? 'latest';
const REPOSITORY = process.env.DEPLOY_REPOSITORY ?? ''; // empty: any repository the webhook sends
// Runs under sh with the image in $BERTH_IMAGE (host/repository@sha256:...): never pasted into the command text.
const COMMAND = process.env.DEPLOY_COMMAND ?? 'podman pull "$BERTH_IMAGE"';
const TOLERANCE_SECONDS = 300;

if (!SECRET) {
  process.stderr.write('set BERTH_WEBHOOK_SECRET to the webhook\'s secret\n');
  process.exit(2);
}

/** Berth-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">; a stale timestamp is a replay. */
function verifySignature(secret, body, header, now = Math.floor(Date.now() / 1000)) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  if (Math.abs(now - Number(m[1])) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2], 'hex'));
}

const seen = new Set(); // event ids already handled (bounded below)
let queue = Promise.resolve(); // deploys run one at a time, in arrival order

function deploy(event) {
  const image = event.pullCommand.split(' ').at(-1);
  if (!/^[A-Za-z0-9.:[\]-]+\/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$/.test(image)) {
    log({ msg: 'refusing an odd image reference', image });
    return;
  }
  queue = queue.then(() => new Promise((resolve) => {
    log({ msg: 'deploying', image, event: event.id });
    const child = spawn('sh', ['-c', COMMAND], {
      stdio: 'inherit',
      env: { ...process.env, BERTH_IMAGE: image, BERTH_DIGEST: event.digest, BERTH_REPOSITORY: event.repository, BERTH_TAG: event.tag ?? '' },
    });
    child.on('exit', (code) => { log({ msg: 'deploy finished', image, code }); resolve(); });
    child.on('error', (error) => { log({ msg: 'deploy failed to start', error: error.message }); resolve(); });
  }));
}

function log(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') return res.writeHead(405).end();
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > 1024 * 1024) req.destroy(); // payloads are small; refuse floods
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verifySignature(SECRET, body, req.headers['berth-signature'])) {
      log({ msg: 'bad signature: ignored' });
      return res.writeHead(401).end('bad signature\n');
    }
    let event;
    try {
      event = JSON.parse(body);
      if (event.specversion === '1.0') event = event.data; // CloudEvents: Berth's payload is the data
    } catch {
      return res.writeHead(400).end('not JSON\n');
    }
    // Answer first: Berth times out slow receivers, and a deploy can take minutes.
    res.writeHead(204).end();
    if (seen.has(event.id)) return log({ msg: 'duplicate delivery: ignored', event: event.id });
    seen.add(event.id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value);
    if (event.type !== 'artifact.pushed' || event.tag !== TAG) return;
    if (REPOSITORY && event.repository !== REPOSITORY) return;
    deploy(event);
  });
});

server.listen(PORT, HOST, () => log({ msg: 'listening', url: `http://${HOST}:${server.address().port}/`, tag: TAG }));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => queue.then(() => process.exit(0))));
