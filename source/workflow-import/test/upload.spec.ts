// SPDX-License-Identifier: Apache-2.0
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeClock } from '../../test-support/fake-clock';
import { DeadlineExceededError } from '../../utils/retry';
import { UploadError, uploadToPresignedUrl } from '../lib/upload';

const URL_WITH_SECRET =
  'https://bucket.s3.amazonaws.com/import?X-Amz-Security-Token=SECRET&X-Amz-Signature=abc';

function retry(clock = fakeClock()) {
  return { now: clock.now, sleep: clock.sleep, random: () => 0.5 };
}

describe('uploadToPresignedUrl', () => {
  it('streams the chunks with Content-Length and the SSE-KMS header, not chunked (real HTTP on 127.0.0.1)', async () => {
    const seen: { headers: IncomingHttpHeaders; body: Buffer; method?: string }[] = [];
    const server = createServer((request, response) => {
      const parts: Buffer[] = [];
      request.on('data', (part: Buffer) => parts.push(part));
      request.on('end', () => {
        seen.push({ headers: request.headers, body: Buffer.concat(parts), method: request.method });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const chunks = [Buffer.from('cognito:username,email\n'), Buffer.from('jöhn,j@example.com\n')];
      const bytes = chunks[0]!.length + chunks[1]!.length;
      await uploadToPresignedUrl(`http://127.0.0.1:${port}/upload?sig=1`, chunks, bytes, {
        fetch,
        retry: retry(),
      });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.method).toBe('PUT');
      expect(seen[0]!.headers['content-length']).toBe(String(bytes));
      expect(seen[0]!.headers['transfer-encoding']).toBeUndefined();
      expect(seen[0]!.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(seen[0]!.body.toString()).toBe('cognito:username,email\njöhn,j@example.com\n');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('retries network errors and 5xx answers with backoff, streaming the body again each time', async () => {
    const clock = fakeClock();
    const bodies: string[] = [];
    let calls = 0;
    const fakeFetch = jest.fn(async (_url: unknown, init?: RequestInit) => {
      calls += 1;
      const parts: Buffer[] = [];
      for await (const part of init!.body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
      bodies.push(Buffer.concat(parts).toString());
      if (calls === 1) throw new TypeError('fetch failed');
      if (calls === 2) return new Response('<Error><Code>SlowDown</Code></Error>', { status: 503 });
      return new Response('', { status: 200 });
    }) as unknown as typeof fetch;
    await uploadToPresignedUrl('https://example.test/u', [Buffer.from('a,'), Buffer.from('b\n')], 4, {
      fetch: fakeFetch,
      retry: retry(clock),
    });
    expect(bodies).toEqual(['a,b\n', 'a,b\n', 'a,b\n']);
    expect(clock.sleeps).toHaveLength(2);
  });

  it('fails at once on a 403 with the S3 error code, never naming the URL', async () => {
    const fakeFetch = jest.fn(
      async () =>
        new Response('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', {
          status: 403,
        }),
    ) as unknown as typeof fetch;
    const error = await uploadToPresignedUrl(URL_WITH_SECRET, [Buffer.from('x')], 1, {
      fetch: fakeFetch,
      retry: retry(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as Error).message).toBe(
      'The CSV upload to the pre-signed URL failed with HTTP 403 (AccessDenied)',
    );
    expect((error as Error).message).not.toContain('SECRET');
    expect(fakeFetch).toHaveBeenCalledTimes(1);
  });

  it('gives up after the attempts or the deadline', async () => {
    const clock = fakeClock();
    const fakeFetch = jest.fn(async () => new Response('', { status: 500 })) as unknown as typeof fetch;
    await expect(
      uploadToPresignedUrl('https://example.test/u', [Buffer.from('x')], 1, {
        fetch: fakeFetch,
        retry: retry(clock),
      }),
    ).rejects.toThrow('The CSV upload to the pre-signed URL failed with HTTP 500');
    expect(fakeFetch).toHaveBeenCalledTimes(5);

    const deadline = clock.now() + 50;
    await expect(
      uploadToPresignedUrl('https://example.test/u', [Buffer.from('x')], 1, {
        fetch: fakeFetch,
        retry: { ...retry(clock), deadline, maxDelayMs: 10_000, baseDelayMs: 100 },
      }),
    ).rejects.toBeInstanceOf(DeadlineExceededError);
  });
});
