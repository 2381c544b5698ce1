// SPDX-License-Identifier: Apache-2.0
/**
 * The emulator's HTTP server: Cognito's JSON 1.1 protocol (`POST /`, `X-Amz-Target:
 * AWSCognitoIdentityProviderService.<Op>`) for the unmodified SDK v3 client, plus the pre-signed PUT
 * route of import jobs. Binds 127.0.0.1 only. Applies the quota throttle and the optional latency,
 * counts calls per operation. It never logs request or response data.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoServiceError, tooManyRequests } from './errors';
import { ImportJobs, UPLOAD_PATH_PREFIX, type ImportJob } from './import-jobs';
import { DEFAULT_IMPORT_FAILURE_THRESHOLD } from './row-rules';
import { RequestInput } from './input';
import { OPERATIONS, resolveDefaultLimits, type OperationContext } from './operations';
import { createPoolFromSeed } from './seed';
import { CognitoStore } from './store';
import { QuotaThrottle } from './throttle';
import type {
  CognitoEmulatorOptions,
  CognitoFaults,
  FaultCounts,
  EmulatorStats,
  LatencyOption,
  PoolSeed,
  PoolSnapshot,
  SeededPool,
  ThrottlingOptions,
  UserPoolConfig,
} from './types';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
const MAX_JSON_BODY = 1024 * 1024;
const MAX_UPLOAD_BODY = 110 * 1024 * 1024;
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** `latency: 'aws'`: derived from the original's published timings (a ListUsers page ~400 ms). */
export const AWS_LATENCY_MS: Readonly<Record<string, number>> = {
  ListUsers: 400,
  ListUsersInGroup: 400,
  default: 100,
};

export interface CognitoEmulator {
  /** `http://127.0.0.1:<port>`: pass as the SDK client's `endpoint` or AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER. */
  readonly endpoint: string;
  readonly port: number;
  /** Direct access to the state (no throttling, no stats). */
  readonly store: CognitoStore;
  /** Creates a pool directly; returns its id. */
  createUserPool(config?: UserPoolConfig): string;
  /** Creates a pool from a structured seed (pool, users, groups, memberships). */
  seed(seed: PoolSeed): SeededPool;
  /** Users, groups and memberships of a pool, for parity checks. */
  snapshot(poolId: string): PoolSnapshot;
  /** Resolves when an import job reaches a terminal status. */
  waitForImportJob(jobId: string): Promise<ImportJob>;
  /** Per-line reasons (line numbers only) of an import job's failed or skipped rows. */
  importJobLog(jobId: string): readonly { line: number; reason: string }[];
  stats(): EmulatorStats;
  resetStats(): void;
  /** Replaces the request quotas (`false`: none) for the requests that follow. */
  setThrottling(throttling: ThrottlingOptions | false): void;
  /** Injects these faults into the requests that follow (`undefined`: none). */
  setFaults(faults: CognitoFaults | undefined): void;
  /** Requests the injected faults hit since the emulator started. */
  faultCounts(): FaultCounts;
  stop(): Promise<void>;
}

function latencyTable(option: LatencyOption | undefined): Partial<Record<string, number>> | undefined {
  if (option === undefined || option === 'none') return undefined;
  if (option === 'aws') return AWS_LATENCY_MS;
  return option;
}

const emptyStats = (): EmulatorStats => ({ calls: {}, throttled: {}, errors: {}, usersListed: 0 });

function increment(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

function readBody(request: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Starts the emulator on 127.0.0.1 (a free port unless `port` is given). */
export async function startCognitoEmulator(options: CognitoEmulatorOptions = {}): Promise<CognitoEmulator> {
  const now = options.now ?? Date.now;
  const store = new CognitoStore({
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    now,
  });
  let endpoint = '';
  let faults: CognitoFaults | undefined;
  const faultCounts: FaultCounts = { internalError: {}, dropped: {} };
  const jobs = new ImportJobs(store, {
    now,
    rowsPerTick: options.importRowsPerTick ?? 500,
    failureThreshold: options.importFailureThreshold ?? DEFAULT_IMPORT_FAILURE_THRESHOLD,
    msPerKb: () => faults?.importJobMsPerKb ?? 0,
    ...(options.rowRules !== undefined ? { rowRules: options.rowRules } : {}),
    endpoint: () => endpoint,
  });
  const throttleFor = (throttling: CognitoEmulatorOptions['throttling']): QuotaThrottle | undefined =>
    throttling === false || throttling === 'off' ? undefined : new QuotaThrottle(throttling ?? {}, now);
  let throttle = throttleFor(options.throttling);
  /** True for a `share` of the calls. */
  const hit = (share: number | undefined): boolean =>
    share !== undefined && share > 0 && (faults?.random ?? Math.random)() < share;
  const latency = latencyTable(options.latency);
  const context: OperationContext = {
    store,
    jobs,
    now,
    defaultLimits: resolveDefaultLimits(options),
    partialPages: options.partialPages ?? false,
  };
  let stats = emptyStats();
  const timers = new Set<NodeJS.Timeout>();
  const sleep =
    options.sleep ??
    ((ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      }));

  const send = (
    response: http.ServerResponse,
    statusCode: number,
    headers: Record<string, string>,
    body: string,
    delayMs: number,
  ): void => {
    const write = (): void => {
      if (response.destroyed) return;
      response.writeHead(statusCode, { 'content-length': Buffer.byteLength(body), ...headers });
      response.end(body);
    };
    if (delayMs <= 0) {
      write();
      return;
    }
    void sleep(delayMs).then(write);
  };

  const sendError = (response: http.ServerResponse, error: CognitoServiceError, delayMs: number): void => {
    send(
      response,
      error.statusCode,
      {
        'content-type': JSON_CONTENT_TYPE,
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': error.errorType,
      },
      JSON.stringify({ __type: error.errorType, message: error.message }),
      delayMs,
    );
  };

  const handleOperation = (operation: string, body: Buffer, response: http.ServerResponse): void => {
    const started = Date.now();
    const definition = Object.prototype.hasOwnProperty.call(OPERATIONS, operation)
      ? OPERATIONS[operation]
      : undefined;
    increment(stats.calls, operation);
    const delayMs = latency ? (latency[operation] ?? latency.default ?? 0) : 0;
    const finish = (outcome: string): void =>
      options.onRequest?.({ operation, outcome, durationMs: Date.now() - started + delayMs });

    if (!definition) {
      increment(stats.errors, operation);
      sendError(response, new CognitoServiceError('UnknownOperationException', ''), 0);
      finish('UnknownOperationException');
      return;
    }
    let raw: unknown;
    try {
      raw = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      raw = undefined;
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      increment(stats.errors, operation);
      sendError(
        response,
        new CognitoServiceError(
          'SerializationException',
          'Start of structure or map found where not expected.',
        ),
        0,
      );
      finish('SerializationException');
      return;
    }
    const input = raw as Record<string, unknown>;
    const poolId = typeof input.UserPoolId === 'string' ? input.UserPoolId : undefined;
    if (throttle && !throttle.tryAcquire(definition.category, operation, poolId)) {
      increment(stats.throttled, operation);
      sendError(response, tooManyRequests(), 0);
      finish('TooManyRequestsException');
      return;
    }
    if (hit(faults?.internalErrorShare)) {
      increment(stats.errors, operation);
      increment(faultCounts.internalError, operation);
      sendError(
        response,
        new CognitoServiceError('InternalErrorException', 'Internal error (injected fault).', 500),
        delayMs,
      );
      finish('InternalErrorException');
      return;
    }
    try {
      const output = definition.handler(context, new RequestInput(input));
      if (hit(faults?.dropShare)) {
        // The operation took effect; the client never hears of it.
        increment(faultCounts.dropped, operation);
        response.socket?.destroy();
        finish('dropped');
        return;
      }
      if (operation === 'ListUsers') {
        const users = (output as { Users?: unknown }).Users;
        if (Array.isArray(users)) stats.usersListed += users.length;
      }
      send(
        response,
        200,
        { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
        JSON.stringify(output),
        delayMs,
      );
      finish('ok');
    } catch (error) {
      const serviceError =
        error instanceof CognitoServiceError
          ? error
          : new CognitoServiceError(
              'InternalErrorException',
              'An internal error occurred in the emulator.',
              500,
            );
      increment(stats.errors, operation);
      sendError(response, serviceError, delayMs);
      finish(serviceError.errorType);
    }
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const isUpload = request.method === 'PUT' && url.pathname.startsWith(UPLOAD_PATH_PREFIX);
    readBody(request, isUpload ? MAX_UPLOAD_BODY : MAX_JSON_BODY)
      .then((body) => {
        if (body === undefined) {
          send(response, 413, { 'content-type': 'text/plain' }, 'Request body too large', 0);
          return;
        }
        if (isUpload) {
          const jobId = decodeURIComponent(url.pathname.slice(UPLOAD_PATH_PREFIX.length));
          const result = jobs.upload(jobId, url.searchParams, body);
          send(response, result.statusCode, result.headers, result.body, 0);
          return;
        }
        const target = request.headers['x-amz-target'];
        if (request.method === 'POST' && typeof target === 'string' && target.startsWith(TARGET_PREFIX)) {
          handleOperation(target.slice(TARGET_PREFIX.length), body, response);
          return;
        }
        if (request.method === 'GET' && url.pathname === '/health') {
          send(response, 200, { 'content-type': 'text/plain' }, 'ok', 0);
          return;
        }
        sendError(response, new CognitoServiceError('UnknownOperationException', '', 404), 0);
      })
      .catch(() => {
        if (!response.headersSent) send(response, 400, { 'content-type': 'text/plain' }, 'Bad request', 0);
      });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    port,
    store,
    createUserPool: (config) => store.createUserPool(config).id,
    seed: (seed) => createPoolFromSeed(store, seed),
    snapshot: (poolId) => store.snapshot(poolId),
    waitForImportJob: (jobId) => jobs.waitFor(jobId),
    importJobLog: (jobId) => [...(jobs.get(jobId)?.lineLog ?? [])],
    stats: () => ({
      calls: { ...stats.calls },
      throttled: { ...stats.throttled },
      errors: { ...stats.errors },
      usersListed: stats.usersListed,
    }),
    resetStats: () => {
      stats = emptyStats();
    },
    setThrottling: (throttling) => {
      throttle = throttleFor(throttling);
    },
    setFaults: (next) => {
      faults = next;
    },
    faultCounts: () => ({
      internalError: { ...faultCounts.internalError },
      dropped: { ...faultCounts.dropped },
    }),
    stop: async () => {
      jobs.dispose();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
