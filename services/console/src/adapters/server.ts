/**
 * The console's HTTP server. The kit's app (shared/src/http) puts every route but the probes behind
 * the fleet's API key, which a browser must never hold; so the console's own routes (/dashboard)
 * answer first and everything else (/health, /ready, /metrics) falls through to the kit's app.
 * Closing mirrors the kit's: stop accepting, let requests finish within the grace period, then cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Logger } from '@cte/shared';

export interface ServerHandle {
  port: number;
  close(graceMs?: number): Promise<void>;
}

export function listen(apps: readonly express.Application[], port: number, logger: Logger, host?: string): Promise<ServerHandle> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse, i = 0): void => {
    const app = apps[i];
    if (!app) return;
    // Each app calls `done` when nothing in it handled the request; the next one gets it.
    app(req as express.Request, res as express.Response, (err?: unknown) => {
      if (err !== undefined) {
        logger.error({ err }, 'unhandled error in the console server');
        if (!res.headersSent) res.statusCode = 500;
        res.end();
        return;
      }
      handler(req, res, i + 1);
    });
  };
  const server = http.createServer((req, res) => handler(req, res));
  let closed: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const bound = (server.address() as AddressInfo).port;
      logger.info({ port: bound }, 'console http listening');
      resolve({
        port: bound,
        close: (graceMs = 10_000) => {
          closed ??= new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          });
          return closed;
        },
      });
    });
  });
}
