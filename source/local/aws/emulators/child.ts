// SPDX-License-Identifier: Apache-2.0
/**
 * Entry point of an emulator child process: `node --import tsx child.ts <dynalite|fauxqs>`.
 * Starts the server on 127.0.0.1 with a free port, prints `{"port": <n>}` as one line on stdout, and
 * exits when its parent closes stdin (so it never outlives the harness) or on SIGTERM/SIGINT.
 *
 * Separate processes because dynalite is CPU-bound (a second core cuts its write time by about a
 * third) and fauxqs is ESM-only (the jest tests load the harness as CommonJS).
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface FastifyLike {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

/** fauxqs' package exports only its entry point; its stores live next to it under dist/. */
function fauxqsDist(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'node_modules', 'fauxqs', 'dist');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('fauxqs is not installed (run npm ci)');
    dir = parent;
  }
}

async function importDist<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(join(fauxqsDist(), relative)).href)) as T;
}

interface QueuePrototype {
  waitForMessages(seconds: number): Promise<void>;
}

/**
 * SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF in a message.
 * fauxqs 1.9.2 tests the body with a regular expression without the `u` flag, so it sees a character
 * above U+FFFF (an emoji) as two surrogates outside its ranges and answers InvalidMessageContents,
 * where SQS accepts the message: a user with an emoji in an attribute could not be restored locally.
 * SendMessage and SendMessageBatch both call `INVALID_MESSAGE_BODY_CHAR.test(body)`; this gives that
 * RegExp object the test of SQS's real character set (a lone surrogate stays invalid).
 */
// eslint-disable-next-line no-control-regex -- the control characters SQS allows are part of the set
export const SQS_INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

async function acceptSupplementaryCharacters(): Promise<void> {
  const types = await importDist<{ INVALID_MESSAGE_BODY_CHAR?: RegExp }>('sqs/sqsTypes.js');
  const upstream = types.INVALID_MESSAGE_BODY_CHAR;
  if (!(upstream instanceof RegExp)) {
    throw new Error('fauxqs: sqs/sqsTypes.js no longer exports INVALID_MESSAGE_BODY_CHAR; review child.ts');
  }
  upstream.test = (text: string): boolean => SQS_INVALID_CHARACTER.test(text);
}

async function startFauxqs(options: ChildOptions): Promise<{ port: number; stop: () => Promise<void> }> {
  const { buildApp } = await importDist<{ buildApp: (options: object) => FastifyLike }>('app.js');
  const { SqsStore, SqsQueue } = await importDist<{
    SqsStore: new () => { host: string };
    SqsQueue: { prototype: QueuePrototype };
  }>('sqs/sqsStore.js');
  const cap = options.maxReceiveWaitMs;
  if (cap !== undefined && cap >= 0) {
    // Shortened long polls (like the shortened Wait states): an empty ReceiveMessage with
    // WaitTimeSeconds answers after at most `cap` ms instead of up to 20 s. Messages that arrive
    // meanwhile are still returned at once.
    const original = SqsQueue.prototype.waitForMessages;
    SqsQueue.prototype.waitForMessages = function (this: QueuePrototype, seconds: number) {
      return original.call(this, Math.min(seconds, cap / 1000));
    };
  }
  await acceptSupplementaryCharacters();
  const { SnsStore } = await importDist<{ SnsStore: new () => object }>('sns/snsStore.js');
  const { S3Store } = await importDist<{ S3Store: new () => object }>('s3/s3Store.js');
  const sqsStore = new SqsStore();
  // An empty host makes queue URLs use the request's Host (http://127.0.0.1:<port>/<account>/<name>),
  // so the Lambdas' SQS clients reach them without resolving `sqs.<region>.localhost`.
  sqsStore.host = '';
  const app = buildApp({
    logger: false,
    stores: { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() },
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: Number(new URL(address).port), stop: () => app.close() };
}

async function startDynalite(): Promise<{ port: number; stop: () => Promise<void> }> {
  // dynalite is CommonJS without types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (options: object) => Server;
  const server = dynalite({ createTableMs: 0, updateTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ChildOptions {
  maxReceiveWaitMs?: number;
}

async function main(): Promise<void> {
  const kind = process.argv[2];
  const options = JSON.parse(process.argv[3] ?? '{}') as ChildOptions;
  const started =
    kind === 'fauxqs' ? await startFauxqs(options) : kind === 'dynalite' ? await startDynalite() : undefined;
  if (started === undefined) throw new Error(`Unknown emulator "${kind ?? ''}" (dynalite or fauxqs)`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const forced = setTimeout(() => process.exit(0), 2000);
    forced.unref();
    void started.stop().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ port: started.port })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
