// SPDX-License-Identifier: Apache-2.0
/**
 * A proxy in front of dynalite that injects DynamoDB's two capacity faults, which dynalite never
 * produces: `ProvisionedThroughputExceededException` (HTTP 400, before the call reaches the table)
 * and `UnprocessedItems` (a BatchWriteItem writes only the first half of its items and returns the
 * rest). Everything else is forwarded unchanged. Binds 127.0.0.1.
 */
import http from 'node:http';
import { LoopbackService } from './loopback';

export interface DynamoDbFaults {
  /** Share of item calls answered ProvisionedThroughputExceededException. */
  throughputShare?: number;
  /** Share of BatchWriteItem calls that leave half their items unprocessed. */
  unprocessedShare?: number;
  random?: () => number;
}

export interface DynamoDbFaultCounts {
  throughputExceeded: Record<string, number>;
  /** BatchWriteItem calls that returned unprocessed items, and how many items they returned. */
  unprocessedCalls: number;
  unprocessedItems: number;
}

/** The calls that read or write items (the ones DynamoDB can throttle for capacity). */
const ITEM_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'BatchGetItem',
  'Query',
  'Scan',
]);

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

type WriteRequests = Record<string, unknown[]>;

/** Splits a BatchWriteItem's requests: the first half is written, the second returned unprocessed. */
export function splitBatch(requestItems: WriteRequests): {
  write: WriteRequests;
  unprocessed: WriteRequests;
} {
  const all = Object.entries(requestItems).flatMap(([table, requests]) =>
    requests.map((request) => ({ table, request })),
  );
  const keep = Math.floor(all.length / 2);
  const write: WriteRequests = {};
  const unprocessed: WriteRequests = {};
  all.forEach(({ table, request }, index) => {
    const target = index < keep ? write : unprocessed;
    (target[table] ??= []).push(request);
  });
  return { write, unprocessed };
}

function countItems(items: WriteRequests): number {
  return Object.values(items).reduce((sum, list) => sum + list.length, 0);
}

export class DynamoDbFaultFront extends LoopbackService {
  private faults: DynamoDbFaults = {};
  private readonly counts: DynamoDbFaultCounts = {
    throughputExceeded: {},
    unprocessedCalls: 0,
    unprocessedItems: 0,
  };
  constructor(private readonly backend: string) {
    super();
  }

  setFaults(faults: DynamoDbFaults): void {
    this.faults = faults;
  }

  faultCounts(): DynamoDbFaultCounts {
    return { ...this.counts, throughputExceeded: { ...this.counts.throughputExceeded } };
  }

  protected serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(error instanceof Error ? error.message : String(error));
    });
  }

  private hit(share: number | undefined): boolean {
    return share !== undefined && share > 0 && (this.faults.random ?? Math.random)() < share;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';

    if (ITEM_OPERATIONS.has(operation) && this.hit(this.faults.throughputShare)) {
      this.counts.throughputExceeded[operation] = (this.counts.throughputExceeded[operation] ?? 0) + 1;
      const text = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message:
          'The level of configured provisioned throughput for the table was exceeded (injected fault).',
      });
      response.writeHead(400, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      response.end(text);
      return;
    }

    let unprocessed: WriteRequests | undefined;
    if (operation === 'BatchWriteItem' && this.hit(this.faults.unprocessedShare)) {
      const input = JSON.parse(body.toString('utf8')) as { RequestItems?: WriteRequests };
      const split = splitBatch(input.RequestItems ?? {});
      if (countItems(split.unprocessed) > 0) {
        unprocessed = split.unprocessed;
        this.counts.unprocessedCalls += 1;
        this.counts.unprocessedItems += countItems(unprocessed);
        if (countItems(split.write) === 0) {
          const text = JSON.stringify({ UnprocessedItems: unprocessed });
          response.writeHead(200, {
            'content-type': CONTENT_TYPE,
            'content-length': Buffer.byteLength(text),
          });
          response.end(text);
          return;
        }
        body = Buffer.from(JSON.stringify({ ...input, RequestItems: split.write }));
      }
    }

    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && name !== 'host' && name !== 'content-length')
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const upstream = await fetch(`${this.backend}${request.url ?? '/'}`, {
      method: request.method ?? 'POST',
      headers,
      ...(request.method === 'GET' || request.method === 'HEAD' ? {} : { body }),
    });
    let text = Buffer.from(await upstream.arrayBuffer());
    if (unprocessed !== undefined && upstream.status === 200) {
      const output = JSON.parse(text.toString('utf8')) as { UnprocessedItems?: WriteRequests };
      const merged: WriteRequests = { ...(output.UnprocessedItems ?? {}) };
      for (const [table, requests] of Object.entries(unprocessed))
        merged[table] = [...(merged[table] ?? []), ...requests];
      text = Buffer.from(JSON.stringify({ ...output, UnprocessedItems: merged }));
    }
    const outHeaders: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      const dropped = ['content-length', 'transfer-encoding', 'content-encoding'];
      // The SDK checks a response's x-amz-crc32 when present: a rewritten body goes without one.
      if (unprocessed !== undefined) dropped.push('x-amz-crc32');
      if (!dropped.includes(name)) outHeaders[name] = value;
    });
    response.writeHead(upstream.status, { ...outHeaders, 'content-length': text.length });
    response.end(text);
  }
}
