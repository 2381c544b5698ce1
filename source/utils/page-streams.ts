// SPDX-License-Identifier: Apache-2.0
/**
 * Several page chains listed at once (ListUsers partitions, the groups of a ListGroups page), all
 * through the caller's limiter, with what each page holds handed to a bounded group of writers. Used
 * by the export (users, memberships) and by the restore's check of the new pool (members of groups).
 */
import { TaskGroup } from './concurrency';
import { DeadlineExceededError } from './retry';
import type { TimeBudget } from './time-budget';

/** Pages whose writes may still be running while the next page is listed. */
export const WRITE_PAGES_IN_FLIGHT = 4;

export interface Page<T> {
  records: T[];
  nextToken?: string;
}

/** One page chain: `key` names it (a partition, a group), `token` is where it resumes (absent: its start). */
export interface StreamCursor {
  key: string;
  token?: string;
}

export interface PagedStreamsOptions<T> {
  streams: readonly StreamCursor[];
  /** Lists one page of a stream; a `DeadlineExceededError` means the budget ran out while retrying it. */
  listPage(key: string, token: string | undefined): Promise<Page<T>>;
  writeRecords(records: T[], key: string): Promise<void>;
  budget: TimeBudget;
  /** Page chains listed at once; the limiter inside `listPage` sets the pace. */
  streamsInFlight?: number;
  writePagesInFlight?: number;
  /** Called when a stream has listed and written its last page (before the invocation returns). */
  onStreamFinished?(key: string): void;
}

export interface PagedStreamsOutcome {
  /** The streams not finished, in their input order, each with the token it resumes from. */
  remaining: StreamCursor[];
  /** True when every stream has been listed to its end and written. */
  finished: boolean;
  pages: number;
  records: number;
  /** Set when retries of a page ran into the deadline; that page was not read. */
  interruption?: DeadlineExceededError;
}

/** Page chains listed at once by default: enough to keep `COGNITO_TPS` 25 busy at ~400 ms a page. */
export const STREAMS_IN_FLIGHT = 16;

/**
 * Several page chains at once, all through the caller's limiter, their writes in one bounded group.
 * A stream's token advances only past a page whose records were handed to the writers, and every
 * write is settled before this returns: the remaining tokens skip nothing and repeat nothing. Once
 * one stream fails, the others stop listing, the writes settle and the first failure is thrown.
 * At least one page is listed per call (progress even when the invocation starts short of time).
 */
export async function pagedExportStreams<T>(options: PagedStreamsOptions<T>): Promise<PagedStreamsOutcome> {
  const { budget } = options;
  const writers = new TaskGroup(options.writePagesInFlight ?? WRITE_PAGES_IN_FLIGHT);
  const cursors = options.streams.map((stream) => ({ ...stream, done: false }));
  const queue = [...cursors];
  let pages = 0;
  let records = 0;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let interruption: DeadlineExceededError | undefined;

  const mayList = (): boolean => !stopped && (pages === 0 || budget.hasTime());

  const runStream = async (cursor: (typeof cursors)[number]): Promise<void> => {
    while (mayList()) {
      let page: Page<T>;
      try {
        page = await options.listPage(cursor.key, cursor.token);
      } catch (error) {
        if (!(error instanceof DeadlineExceededError)) throw error;
        interruption ??= error;
        stopped = true;
        return;
      }
      pages += 1;
      if (page.records.length > 0) {
        const pageRecords = page.records;
        records += pageRecords.length;
        await writers.add(() => options.writeRecords(pageRecords, cursor.key));
      }
      // An empty page that carries a token is not the end.
      cursor.token = page.nextToken || undefined;
      if (cursor.token === undefined) {
        cursor.done = true;
        return;
      }
    }
  };

  const worker = async (): Promise<void> => {
    for (let cursor = queue.shift(); cursor !== undefined && mayList(); cursor = queue.shift()) {
      try {
        await runStream(cursor);
      } catch (error) {
        failure ??= { error };
        stopped = true;
      }
    }
  };

  const width = Math.max(1, Math.min(options.streamsInFlight ?? STREAMS_IN_FLIGHT, cursors.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (failure) {
    // Settle the writes already started before reporting the first failure.
    await writers.drain().catch(() => undefined);
    throw failure.error;
  }
  await writers.drain();
  for (const cursor of cursors) if (cursor.done) options.onStreamFinished?.(cursor.key);
  const remaining = cursors
    .filter((cursor) => !cursor.done)
    .map(({ key, token }) => (token === undefined ? { key } : { key, token }));
  return {
    remaining,
    finished: remaining.length === 0 && interruption === undefined,
    pages,
    records,
    interruption,
  };
}
