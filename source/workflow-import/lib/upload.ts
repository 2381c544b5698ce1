// SPDX-License-Identifier: Apache-2.0
/**
 * The HTTP PUT of the user CSV to the import job's pre-signed URL. The body is
 * streamed from the file's chunks with an explicit Content-Length (S3 refuses chunked uploads), so the
 * file is never copied into one buffer. Network errors, 5xx, 408 and 429 answers are retried with
 * backoff; any other answer fails with its status and S3 error code. The URL carries credentials and
 * is never logged or put in an error message.
 */
import { RETRY_BUDGETS, withRetry, type RetryOptions } from '../../utils/retry';

/** Cognito's pre-signed URLs are signed for SSE-KMS (developer guide, "Uploading the .csv file"). */
export const UPLOAD_HEADERS = { 'x-amz-server-side-encryption': 'aws:kms' } as const;

export class UploadError extends Error {
  override readonly name = 'UploadError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// eslint-disable-next-line @typescript-eslint/require-await -- fetch streams a body only from an async iterable
async function* stream(chunks: readonly Buffer[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

const retryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429;

export async function uploadToPresignedUrl(
  url: string,
  chunks: readonly Buffer[],
  byteLength: number,
  deps: { fetch: typeof fetch; retry: RetryOptions },
): Promise<void> {
  await withRetry(
    async () => {
      let response: Response;
      try {
        response = await deps.fetch(url, {
          method: 'PUT',
          headers: { ...UPLOAD_HEADERS, 'content-length': String(byteLength) },
          body: stream(chunks),
          duplex: 'half',
        });
      } catch (error) {
        throw new UploadError('The CSV upload to the pre-signed URL failed to connect', true, {
          cause: error,
        });
      }
      const text = await response.text().catch(() => '');
      if (response.ok) return;
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
      throw new UploadError(
        `The CSV upload to the pre-signed URL failed with HTTP ${response.status}${code ? ` (${code})` : ''}`,
        retryableStatus(response.status),
      );
    },
    {
      maxAttempts: RETRY_BUDGETS.upload,
      ...deps.retry,
      isRetryable: (error) => error instanceof UploadError && error.retryable,
    },
  );
}
