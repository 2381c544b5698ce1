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
import { documentClient } from '../../utils/clients';
import type { RateLimitedCognito } from '../../utils/cognito';
import { TaskGroup } from '../../utils/concurrency';
import type { Logger } from '../../utils/logger';
import { DeadlineExceededError, type RetryOptions } from '../../utils/retry';
import {
  handlerLogger,
  rateLimitedCognito,
  retryOptions,
  timeBudget,
  type Runtime,
} from '../../utils/runtime';
import type { LambdaContextLike, TimeBudget } from '../../utils/time-budget';

/** Pages whose writes may still be running while the next page is listed. */
export const WRITE_PAGES_IN_FLIGHT = 4;

/** What both paged exports take besides their own settings. */
export interface PagedExportDeps {
  cognito: RateLimitedCognito;
  ddb: DynamoDBDocumentClient;
  logger: Logger;
  budget: TimeBudget;
  /** Backoff for the DynamoDB UnprocessedItems of the writes. */
  batchRetry: RetryOptions;
}

/** Builds the `PagedExportDeps` of one invocation: Cognito at `cognitoTps`, the backup table's client. */
export function pagedExportDeps(
  runtime: Runtime,
  handler: string,
  cognitoTps: number,
  context?: LambdaContextLike,
): PagedExportDeps {
  const logger = handlerLogger(runtime, handler, context);
  return {
    cognito: rateLimitedCognito(runtime, cognitoTps, logger),
    ddb: documentClient(),
    logger,
    budget: timeBudget(runtime, context),
    batchRetry: retryOptions(runtime),
  };
}

export interface Page<T> {
  records: T[];
  nextToken?: string;
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
  const writers = new TaskGroup(options.writePagesInFlight ?? WRITE_PAGES_IN_FLIGHT);
  let token = options.startToken;
  let pages = 0;
  let records = 0;
  let interruption: DeadlineExceededError | undefined;
  try {
    do {
      let page: Page<T>;
      try {
        page = await options.listPage(token);
      } catch (error) {
        if (!(error instanceof DeadlineExceededError)) throw error;
        interruption = error;
        break;
      }
      pages += 1;
      if (page.records.length > 0) {
        const pageRecords = page.records;
        records += pageRecords.length;
        await writers.add(() => options.writeRecords(pageRecords));
      }
      // An empty page that carries a token is not the end (§9.1-6).
      token = page.nextToken || undefined;
    } while (token !== undefined && options.budget.hasTime());
  } catch (error) {
    // Settle the writes already started before reporting the first failure.
    await writers.drain().catch(() => undefined);
    throw error;
  }
  await writers.drain();
  return {
    nextToken: token,
    finished: token === undefined && interruption === undefined,
    pages,
    records,
    interruption,
  };
}
