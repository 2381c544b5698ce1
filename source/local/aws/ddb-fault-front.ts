// SPDX-License-Identifier: Apache-2.0
/**
 * The proxy in front of dynalite that every DynamoDB client of a run goes through. It
 * - injects DynamoDB's two capacity faults, which dynalite never produces:
 *   `ProvisionedThroughputExceededException` (HTTP 400, before the call reaches the table) and
 *   `UnprocessedItems` (a BatchWriteItem writes only the first half of its items and returns the rest);
 * - journals every write that reached a table, with its time and the item after it (ddb-journal.ts):
 *   PutItem (the item sent), UpdateItem (the item DynamoDB returns with ReturnValues ALL_NEW, which the
 *   front asks for and strips from the answer when the caller did not), DeleteItem, and the requests
 *   of a BatchWriteItem that were not returned unprocessed;
 * - answers what dynalite does not have, point-in-time recovery and export to S3 (ddb-exports.ts).
 * Everything else is forwarded unchanged. Binds 127.0.0.1.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { LoopbackService } from './loopback';
import { type AttributeMap, type TableJournal, WriteJournal } from './ddb-journal';
import { DynamoDbError, type PointInTimeExports } from './ddb-exports';

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

/** The writes the front journals. */
const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

interface WriteRequest {
  PutRequest?: { Item?: AttributeMap };
  DeleteRequest?: { Key?: AttributeMap };
}

export interface DynamoDbFrontOptions {
  /** Journal of the writes (default: a new one). */
  journal?: WriteJournal;
  /** Answers the point-in-time recovery and export operations. */
  exports?: PointInTimeExports;
  now?: () => number;
}

function errorBody(type: string, message: string): string {
  return JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });
}

export class DynamoDbFaultFront extends LoopbackService {
  private faults: DynamoDbFaults = {};
  private readonly counts: DynamoDbFaultCounts = {
    throughputExceeded: {},
    unprocessedCalls: 0,
    unprocessedItems: 0,
  };
  readonly journal: WriteJournal;
  private exports: PointInTimeExports | undefined;
  private readonly now: () => number;

  constructor(
    private readonly backend: string,
    options: DynamoDbFrontOptions = {},
  ) {
    super();
    this.journal = options.journal ?? new WriteJournal();
    this.exports = options.exports;
    this.now = options.now ?? Date.now;
  }

  setExports(exports: PointInTimeExports | undefined): void {
    this.exports = exports;
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

    const emulated = this.exports?.handle(operation, parseObject(body));
    if (emulated !== undefined) {
      let status = 200;
      let text: string;
      try {
        text = JSON.stringify(await emulated);
      } catch (error) {
        if (!(error instanceof DynamoDbError)) throw error;
        status = 400;
        text = errorBody(error.type, error.message);
      }
      response.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
      response.end(text);
      return;
    }

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

    /** UpdateItem: the caller's ReturnValues, when the front asked for ALL_NEW in its place. */
    let stripAttributes = false;
    if (operation === 'UpdateItem') {
      const input = parseObject(body);
      const asked = input.ReturnValues;
      if (asked === undefined || asked === 'NONE') {
        stripAttributes = true;
        body = Buffer.from(JSON.stringify({ ...input, ReturnValues: 'ALL_NEW' }));
      }
    }
    const sent = body;

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
    let rewritten = unprocessed !== undefined;
    if (
      upstream.status === 200 &&
      (WRITE_OPERATIONS.has(operation) || operation === 'CreateTable' || operation === 'DeleteTable')
    ) {
      await this.journalWrite(operation, parseObject(sent), parseObject(text));
    }
    if (stripAttributes && upstream.status === 200) {
      const { Attributes: _attributes, ...output } = parseObject(text);
      text = Buffer.from(JSON.stringify(output));
      rewritten = true;
    }
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
      if (rewritten) dropped.push('x-amz-crc32');
      if (!dropped.includes(name)) outHeaders[name] = value;
    });
    response.writeHead(upstream.status, { ...outHeaders, 'content-length': text.length });
    response.end(text);
  }

  /** The journal of a table, opened from DescribeTable when the front did not see it created. */
  private async tableJournal(name: string): Promise<TableJournal> {
    const known = this.journal.table(name);
    if (known !== undefined) return known;
    const answer = await fetch(this.backend, {
      method: 'POST',
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': `${TARGET_PREFIX}DescribeTable` },
      body: JSON.stringify({ TableName: name }),
    });
    const table = (parseObject(Buffer.from(await answer.arrayBuffer())).Table ?? {}) as {
      KeySchema?: { AttributeName: string; KeyType: string }[];
    };
    return this.journal.open(name, keyNames(table.KeySchema), this.now(), randomUUID());
  }

  private async journalWrite(
    operation: string,
    input: Record<string, unknown>,
    output: Record<string, unknown>,
  ): Promise<void> {
    const time = this.now();
    const tableName = typeof input.TableName === 'string' ? input.TableName : '';
    switch (operation) {
      case 'CreateTable':
        this.journal.open(
          tableName,
          keyNames(input.KeySchema as { AttributeName: string; KeyType: string }[] | undefined),
          time,
          randomUUID(),
        );
        return;
      case 'DeleteTable':
        this.journal.drop(tableName);
        return;
      case 'PutItem':
        (await this.tableJournal(tableName)).record(time, input.Item as AttributeMap, false);
        return;
      case 'DeleteItem':
        (await this.tableJournal(tableName)).record(time, input.Key as AttributeMap, true);
        return;
      case 'UpdateItem': {
        const journal = await this.tableJournal(tableName);
        const asked = input.ReturnValues;
        const after =
          asked === 'ALL_NEW' ? (output.Attributes as AttributeMap | undefined) : await this.read(input);
        if (after !== undefined) journal.record(time, after, false);
        return;
      }
      case 'BatchWriteItem': {
        const left = output.UnprocessedItems as Record<string, WriteRequest[]> | undefined;
        for (const [table, requests] of Object.entries(
          (input.RequestItems ?? {}) as Record<string, WriteRequest[]>,
        )) {
          const journal = await this.tableJournal(table);
          const unprocessed = new Set((left?.[table] ?? []).map((request) => JSON.stringify(request)));
          for (const request of requests) {
            if (unprocessed.has(JSON.stringify(request))) continue;
            if (request.PutRequest?.Item !== undefined) journal.record(time, request.PutRequest.Item, false);
            else if (request.DeleteRequest?.Key !== undefined)
              journal.record(time, request.DeleteRequest.Key, true);
          }
        }
        return;
      }
      default:
        return;
    }
  }

  /** The item an UpdateItem left, read again (the caller asked for other ReturnValues than ALL_NEW). */
  private async read(input: Record<string, unknown>): Promise<AttributeMap | undefined> {
    const answer = await fetch(this.backend, {
      method: 'POST',
      headers: { 'content-type': CONTENT_TYPE, 'x-amz-target': `${TARGET_PREFIX}GetItem` },
      body: JSON.stringify({ TableName: input.TableName, Key: input.Key, ConsistentRead: true }),
    });
    return parseObject(Buffer.from(await answer.arrayBuffer())).Item as AttributeMap | undefined;
  }
}

function parseObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** The key attributes of a KeySchema: the partition (HASH) key first, then the sort (RANGE) key. */
function keyNames(schema: { AttributeName: string; KeyType: string }[] | undefined): string[] {
  return [...(schema ?? [])]
    .sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0))
    .map((key) => key.AttributeName);
}
