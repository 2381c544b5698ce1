// SPDX-License-Identifier: Apache-2.0
/**
 * The pagination loop shared by export-users and export-users-in-group: list a page, hand its records
 * to a bounded group of writers, list the next page while they write. The only waits between two
 * pages are the Cognito call itself and the limiter inside it.
 *
 * Rules kept from the original: at least one page is listed per invocation (progress is guaranteed
 * even when the Lambda starts with little time), and no new page is started once the time budget is
 * down to one minute. Every write is finished (or has failed the invocation) before a token is
 * returned, so a continuation never skips unwritten records.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateLimitedCognito } from '../../utils/cognito';
import type { Logger } from '../../utils/logger';
import { type DeadlineExceededError, type RetryOptions } from '../../utils/retry';
import { pagedExportStreams, type Page } from '../../utils/page-streams';
import type { TimeBudget } from '../../utils/time-budget';

/** What both paged exports take besides their own settings. */
export interface PagedExportDeps {
  cognito: RateLimitedCognito;
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  budget: TimeBudget;
  /** Backoff for the DynamoDB UnprocessedItems of the writes. */
  batchRetry: RetryOptions;
}

export interface PagedExportOptions<T> {
  startToken?: string;
  /** Lists one page; a `DeadlineExceededError` means the budget ran out while retrying it. */
  listPage(token: string | undefined): Promise<Page<T>>;
  writeRecords(records: T[]): Promise<void>;
  budget: TimeBudget;
  writePagesInFlight?: number;
}

export interface PagedExportOutcome {
  /** Where the next invocation resumes; undefined when listing finished or never got past the start. */
  nextToken?: string;
  /** True when the last page has been listed and written. */
  finished: boolean;
  pages: number;
  records: number;
  /** Set when retries of a page ran into the deadline; the page was not read. */
  interruption?: DeadlineExceededError;
}

export async function pagedExport<T>(options: PagedExportOptions<T>): Promise<PagedExportOutcome> {
  const outcome = await pagedExportStreams<T>({
    streams: [{ key: '', token: options.startToken }],
    listPage: (_key, token) => options.listPage(token),
    writeRecords: (records) => options.writeRecords(records),
    budget: options.budget,
    writePagesInFlight: options.writePagesInFlight,
  });
  const rest = outcome.remaining[0];
  return {
    nextToken: rest?.token,
    finished: outcome.finished,
    pages: outcome.pages,
    records: outcome.records,
    interruption: outcome.interruption,
  };
}

export {
  pagedExportStreams,
  STREAMS_IN_FLIGHT,
  WRITE_PAGES_IN_FLIGHT,
  type Page,
  type PagedStreamsOptions,
  type PagedStreamsOutcome,
  type StreamCursor,
} from '../../utils/page-streams';
