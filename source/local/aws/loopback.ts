// SPDX-License-Identifier: Apache-2.0
/** An HTTP server on 127.0.0.1 at a free port, for the local stand-ins that speak HTTP. */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Closes open connections and the server. */
  stop(): Promise<void>;
}

export async function startLoopbackServer(listener: RequestListener): Promise<LoopbackServer> {
  const server = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A stand-in served by one loopback server: `start` answers each request with `serve`. */
export abstract class LoopbackService {
  endpoint = '';
  private server: LoopbackServer | undefined;

  protected abstract serve(request: IncomingMessage, response: ServerResponse): void;

  async start(): Promise<string> {
    this.server = await startLoopbackServer((request, response) => this.serve(request, response));
    this.endpoint = this.server.endpoint;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }
}
