// Randomized bad uploads (hardening issue, defect 1: a chunked body whose length disagrees with its
// Content-Range once killed the process). Every request combines a method (PATCH a chunk, PUT the
// last chunk with ?digest=, POST a monolithic blob), a framing (Content-Length right, too short,
// too long, chunked, broken chunked, both headers, neither), a Content-Range (none, right, wrong
// start, shorter or longer than the body, malformed), a digest (right, wrong, malformed, sha512)
// and sometimes an abort partway through the body. A model of the protocol says what the answer
// must be. After every request the server must still answer, and the upload's state must be
// exactly what the model says: unchanged unless the request was valid. At the end every blob
// that was committed is pulled and re-hashed.
//
// The seed is printed; UPLOAD_FUZZ_SEED=<n> replays a run, UPLOAD_FUZZ_ROUNDS=<n> changes its size.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { digestOf } from '../../src/core/digest.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

const SEED = Number(process.env.UPLOAD_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = Number(process.env.UPLOAD_FUZZ_ROUNDS ?? 400);

/** The length of an n-byte body sent chunked as the test sends it (8191-byte chunks, then 0\r\n\r\n). */
function chunkedLength(n: number): number {
  let total = 5;
  for (let i = 0; i < n; i += 8191) {
    const size = Math.min(8191, n - i);
    total += size.toString(16).length + 2 + size + 2;
  }
  return total;
}

/** mulberry32: small, seedable, good enough to pick cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Framing = 'length' | 'length-short' | 'length-long' | 'chunked' | 'chunked-broken' | 'both' | 'none';
type RangeKind = 'none' | 'exact' | 'wrong-start' | 'shorter' | 'longer' | 'malformed';
type DigestKind = 'right' | 'wrong' | 'malformed' | 'sha512' | 'missing';

interface Case {
  method: 'PATCH' | 'PUT' | 'POST';
  body: Buffer;
  framing: Framing;
  range: RangeKind;
  rangeHeader?: string;
  digest: DigestKind;
  /** Abort (destroy the socket) after this many body bytes. */
  abortAfter?: number;
}

interface Answer {
  /** undefined: the connection ended without a complete response. */
  status?: number;
  body: string;
}

/**
 * Sends one request on a raw socket exactly as the case says, and resolves with the first
 * response (or none, when the server closed first or the case aborts).
 */
function send(port: number, path: string, c: Case, contentRange: string | undefined): Promise<Answer> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    let settled = false;
    const done = (a: Answer) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(a);
    };
    const tryParse = () => {
      const split = data.indexOf('\r\n\r\n');
      if (split < 0) return;
      const head = data.subarray(0, split).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const length = cl ? Number(cl[1]) : 0;
      if (data.length - split - 4 >= length) done({ status, body: data.subarray(split + 4, split + 4 + length).toString() });
    };
    sock.on('data', (chunk: Buffer) => { data = Buffer.concat([data, chunk]); tryParse(); });
    sock.on('error', () => done({ body: '' }));
    sock.on('close', () => done({ body: '' }));
    sock.on('connect', () => {
      const lines = [`${c.method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/octet-stream'];
      const n = c.body.length;
      if (c.framing === 'length' || c.framing === 'both') lines.push(`Content-Length: ${n}`);
      if (c.framing === 'length-short') lines.push(`Content-Length: ${n + 1 + (n % 7)}`);
      if (c.framing === 'length-long') lines.push(`Content-Length: ${Math.floor(n / 2)}`);
      if (c.framing === 'chunked' || c.framing === 'chunked-broken' || c.framing === 'both') lines.push('Transfer-Encoding: chunked');
      if (contentRange !== undefined) lines.push(`Content-Range: ${contentRange}`);
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
      let payload: Buffer;
      if (c.framing === 'chunked' || c.framing === 'both') {
        const parts: Buffer[] = [];
        for (let i = 0; i < n; i += 8191) {
          const piece = c.body.subarray(i, i + 8191);
          parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
        }
        parts.push(Buffer.from('0\r\n\r\n'));
        payload = Buffer.concat(parts);
      } else if (c.framing === 'chunked-broken') {
        // A good chunk (when there is a body), then garbage where the next chunk's size is due.
        payload = n > 0
          ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), c.body, Buffer.from('\r\nzz\r\n')])
          : Buffer.from('zz\r\n');
      } else {
        payload = c.body;
      }
      if (c.abortAfter !== undefined) {
        sock.write(payload.subarray(0, Math.min(c.abortAfter, payload.length)), () => setTimeout(() => done({ body: '' }), 20));
        return;
      }
      // Bytes beyond the declared body (none, or a Content-Length too short) would be parsed as the
      // next request; they follow once the answer to this one is in, so that the parser's refusal
      // of them cannot overtake it.
      const declared = c.framing === 'none' ? 0 : c.framing === 'length-long' ? Math.floor(n / 2) : payload.length;
      sock.write(payload.subarray(0, declared));
      if (declared < payload.length) {
        const rest = payload.subarray(declared);
        const later = setTimeout(() => { if (!settled) sock.write(rest); }, 300);
        sock.once('close', () => clearTimeout(later));
      }
      // A body shorter than its Content-Length: the client stops sending and half-closes.
      if (c.framing === 'length-short') setTimeout(() => sock.end(), 30);
    });
  });
}

describe('randomized bad uploads never crash the server or change state', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  const repo = 'fuzz/target';

  before(async () => {
    server = await startBerth({ auth: 'none' });
  });
  after(async () => {
    await server?.stop();
  });

  it(`${ROUNDS} randomized PATCH, PUT and POST requests (seed ${SEED})`, async () => {
    const rnd = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const url = (p: string) => `${server.url}${p}`;
    const committed = new Map<string, Buffer>();
    const failures: string[] = [];

    let session = await newSession();
    let model = Buffer.alloc(0);

    async function newSession(): Promise<string> {
      const res = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST' });
      assert.equal(res.status, 202);
      return new URL(res.headers.get('location')!, server.url).pathname;
    }
    /** The upload's Range ("0-<last>"; the protocol answers "0-0" for 0 and for 1 byte alike). */
    async function rangeOf(path: string): Promise<string> {
      const res = await fetch(url(path));
      await res.arrayBuffer();
      return res.status === 204 ? res.headers.get('range') ?? '(none)' : `status ${res.status}`;
    }

    for (let round = 0; round < ROUNDS; round++) {
      const sizes = [0, 1, 3, 100, 8191, 8192, 20_000, 70_000];
      const body = Buffer.from(Array.from({ length: pick(sizes) }, () => Math.floor(rnd() * 256)));
      const n = body.length;
      const framing = pick(['length', 'length', 'chunked', 'chunked', 'length-short', 'length-long', 'chunked-broken', 'both', 'none'] as const);
      // Bytes the server must receive for the body to be complete; an abort comes strictly before.
      // The bytes of the whole body as sent: an abort before the last of them leaves it incomplete.
      const needed = framing === 'length' ? n : framing === 'length-long' ? Math.floor(n / 2) : framing === 'chunked' ? chunkedLength(n) : 0;
      const c: Case = {
        method: pick(['PATCH', 'PATCH', 'PUT', 'POST'] as const),
        body,
        framing,
        range: pick(['none', 'exact', 'exact', 'wrong-start', 'shorter', 'longer', 'malformed'] as const),
        digest: pick(['right', 'right', 'wrong', 'malformed', 'sha512', 'missing'] as const),
        ...(needed > 0 && rnd() < 0.12 ? { abortAfter: Math.floor(rnd() * needed) } : {}),
      };
      const offset = model.length;
      const rangeHeader = c.range === 'none' ? undefined
        : c.range === 'exact' ? `${offset}-${offset + n - 1}`
          : c.range === 'wrong-start' ? `${offset + 1 + Math.floor(rnd() * 5)}-${offset + n + 5}`
            : c.range === 'shorter' ? `${offset}-${offset + Math.max(0, n - 2)}`
              : c.range === 'longer' ? `${offset}-${offset + n + Math.floor(rnd() * 50)}`
                : pick(['abc', '5-2', '-1-3', '0-', '', 'bytes 0-x', '99999999999999999-1']);

      // What the server receives as the body, if the request is whole: undefined when the client
      // aborts, or the framing is one the HTTP parser refuses or never completes.
      let effective: Buffer | undefined;
      if (c.framing === 'length' || c.framing === 'chunked') effective = body;
      else if (c.framing === 'length-long') effective = body.subarray(0, Math.floor(n / 2));
      else if (c.framing === 'none') effective = Buffer.alloc(0);
      if (c.abortAfter !== undefined) effective = undefined;
      // The server's own test (http/body.ts hasBody): a positive Content-Length, or chunked.
      const hasBody = effective !== undefined && (c.framing === 'chunked' || effective.length > 0);

      // The model: is the request valid, and what does it change?
      const rangeOk = (bodyLen: number): 'ok' | 'bad' => {
        if (rangeHeader === undefined) return 'ok';
        const m = /^(\d{1,15})-(\d{1,15})$/.exec(rangeHeader);
        if (!m || Number(m[2]) < Number(m[1])) return 'bad';
        if (Number(m[1]) !== offset) return 'bad';
        return Number(m[2]) - Number(m[1]) + 1 === bodyLen ? 'ok' : 'bad';
      };
      let path: string;
      // `status` lists the acceptable answers (undefined: the connection ended with none); empty
      // means "any refusal (4xx) or none". A success must match `appended` or `commit`.
      let expect: { status: (number | undefined)[]; commit?: Buffer; appended?: Buffer } = { status: [] };
      const claimedFor = (content: Buffer): string | undefined => {
        switch (c.digest) {
          case 'right': return digestOf(content);
          case 'sha512': return digestOf(content, 'sha512');
          case 'wrong': return digestOf(Buffer.concat([content, Buffer.from('x')]));
          case 'malformed': return pick(['sha256:xyz', 'md5:abc', 'sha256:', 'nonsense']);
          default: return undefined;
        }
      };
      if (c.method === 'PATCH') {
        path = session;
        if (effective !== undefined) {
          expect = rangeOk(effective.length) === 'ok' ? { status: [202], appended: effective } : { status: [416] };
        }
      } else if (c.method === 'PUT') {
        const claimed = claimedFor(Buffer.concat([model, body]));
        path = `${session}${claimed !== undefined ? `?digest=${encodeURIComponent(claimed)}` : ''}`;
        if (effective !== undefined) {
          const last = hasBody ? effective : Buffer.alloc(0);
          const whole = Buffer.concat([model, last]);
          // Two faults at once may be reported in either order.
          if (claimed === undefined || c.digest === 'malformed') expect = { status: hasBody && rangeOk(last.length) === 'bad' ? [400, 416] : [400] };
          else if (hasBody && rangeOk(last.length) === 'bad') expect = { status: [416] };
          else if (claimed === digestOf(whole, claimed.startsWith('sha512:') ? 'sha512' : 'sha256')) expect = { status: [201], commit: whole };
          else expect = { status: [400] };
        }
      } else {
        const claimed = claimedFor(body);
        path = `/v2/${repo}/blobs/uploads/${claimed !== undefined ? `?digest=${encodeURIComponent(claimed)}` : ''}`;
        if (claimed === undefined) {
          // No digest: a new session, answered before the body is read (which is then discarded).
          expect = { status: [202, 400, undefined] };
        } else if (effective !== undefined) {
          if (c.digest === 'malformed') expect = { status: [400] };
          else if (claimed === digestOf(effective, claimed.startsWith('sha512:') ? 'sha512' : 'sha256')) expect = { status: [201], commit: effective };
          else expect = { status: [400] };
        }
      }
      // Framings the HTTP parser itself refuses get Node's 400 (or a closed connection).
      if (c.framing === 'both' || c.framing === 'chunked-broken' || c.framing === 'length-short') {
        expect = c.method === 'POST' && c.digest === 'missing' ? { status: [202, 400, undefined] } : { status: [] };
      }

      const what = `round ${round} (seed ${SEED}): ${c.method} ${c.framing}${c.abortAfter !== undefined ? ` abort@${c.abortAfter}` : ''} range=${c.range}${rangeHeader !== undefined ? `(${rangeHeader})` : ''} digest=${c.digest} body=${n} offset=${offset}`;
      const answer = await send(server.port, path, c, rangeHeader);

      // The server is alive, whatever happened.
      const alive = await fetch(url('/v2/'));
      await alive.arrayBuffer();
      assert.equal(alive.status, 200, `${what}: the server stopped answering`);
      if (answer.status === 500) failures.push(`${what}: 500 ${answer.body}`);

      if (expect.status.length) {
        if (!expect.status.includes(answer.status)) {
          failures.push(`${what}: expected ${expect.status.map((x) => x ?? 'no answer').join('/')}, got ${answer.status ?? 'no answer'} ${answer.body.slice(0, 200)}`);
        }
      } else if (answer.status !== undefined && (answer.status < 400 || answer.status >= 500)) {
        failures.push(`${what}: a request that must fail got ${answer.status} ${answer.body.slice(0, 200)}`);
      }

      // Apply what the model says happened, then check the server agrees.
      const succeeded = answer.status !== undefined && answer.status < 300;
      if (succeeded && expect.appended) model = Buffer.concat([model, expect.appended]);
      if (succeeded && expect.commit) {
        const digest = digestOf(expect.commit, path.includes('sha512') ? 'sha512' : 'sha256');
        committed.set(digest, expect.commit);
        if (c.method === 'PUT') {
          session = await newSession();
          model = Buffer.alloc(0);
        }
      }
      const range = await rangeOf(session);
      const wanted = `0-${Math.max(0, model.length - 1)}`;
      if (range !== wanted) failures.push(`${what}: the upload's Range is ${range}, the model says ${wanted}`);
      if (failures.length >= 5) break;
    }
    assert.deepEqual(failures, [], failures.join('\n'));

    // Finish the last session with what the model holds, then re-hash every committed blob.
    const last = digestOf(model);
    const put = await fetch(url(`${session}?digest=${last}`), { method: 'PUT' });
    assert.equal(put.status, 201, `closing PUT: ${await put.text()}`);
    committed.set(last, model);
    for (const [digest, bytes] of committed) {
      const res = await fetch(url(`/v2/${repo}/blobs/${digest}`));
      const got = Buffer.from(await res.arrayBuffer());
      assert.equal(res.status, 200, `GET ${digest}`);
      const alg = digest.startsWith('sha512:') ? 'sha512' : 'sha256';
      assert.equal(`${alg}:${createHash(alg).update(got).digest('hex')}`, digest, `blob ${digest} served bytes that do not hash to it`);
      assert.ok(got.equals(bytes), `blob ${digest} differs from what was uploaded`);
    }
    assert.doesNotMatch(server.logs(), /Unhandled|uncaught/i);
  });
});
