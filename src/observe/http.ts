// The ops HTTP endpoint: /health (liveness), /ready (readiness), /metrics (Prometheus), and
// optional debug handlers. Kubelet and Prometheus are its only clients, so it is small, keeps
// connections briefly, and turns every failure into a status code instead of an exception.

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./log.js";

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export type DebugHandler = (url: URL) => Promise<HttpReply>;

export interface Readiness {
  ready: boolean;
  /** Why the server is not ready; shown in the 503 body. */
  reason: string;
}

export interface OpsServerOptions {
  /** Address to bind; "" binds every interface. */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: { render(): Promise<{ contentType: string; body: string }> };
  readiness: () => Readiness;
  log: Logger;
  /** Extra GET routes by exact path, e.g. "/debug/snapshot". */
  debugHandlers?: Map<string, DebugHandler>;
}

export interface OpsServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";

/** Kubelet probes and Prometheus scrapes are the only clients; a few hundred connections is plenty. */
const MAX_CONNECTIONS = 256;

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { log } = options;
  const route = (request: IncomingMessage): Promise<HttpReply> => handle(request, options);

  const server = createServer((request, response) => {
    route(request)
      .catch((error: unknown): HttpReply => {
        log.error({ err: error, path: request.url }, "ops HTTP handler failed");
        return { status: 500, contentType: TEXT, body: "internal error\n" };
      })
      .then((reply) => send(request, response, reply))
      .catch((error: unknown) => {
        log.error({ err: error }, "ops HTTP reply failed");
        response.destroy();
      });
  });
  // Short timeouts: a probe or a scrape is one request; idle sockets only cost memory.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 64;
  server.maxConnections = MAX_CONNECTIONS;
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && error.code !== "ECONNRESET") {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    } else {
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once("error", onError);
    server.listen(
      { host: options.host === "" ? undefined : options.host, port: options.port },
      () => {
        server.off("error", onError);
        resolve();
      },
    );
  });
  server.on("error", (error) => log.error({ err: error }, "ops HTTP server error"));

  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from Prometheus would otherwise hold close() open until they idle out.
        server.closeAllConnections();
      }),
  };
}

async function handle(request: IncomingMessage, options: OpsServerOptions): Promise<HttpReply> {
  const url = parseUrl(request.url);
  if (url === undefined) return { status: 400, contentType: TEXT, body: "bad request\n" };
  const debugHandler = options.debugHandlers?.get(url.pathname);
  const known =
    url.pathname === "/health" || url.pathname === "/ready" || url.pathname === "/metrics";
  if (!known && debugHandler === undefined)
    return { status: 404, contentType: TEXT, body: "not found\n" };
  if (request.method !== "GET" && request.method !== "HEAD") {
    return { status: 405, contentType: TEXT, body: "method not allowed\n" };
  }

  switch (url.pathname) {
    case "/health":
      return { status: 200, contentType: TEXT, body: "ok\n" };
    case "/ready":
      return readyReply(options.readiness);
    case "/metrics": {
      const { contentType, body } = await options.metrics.render();
      return { status: 200, contentType, body };
    }
  }
  // `known` is false here, so the debug handler exists.
  return debugHandler!(url);
}

function readyReply(readiness: () => Readiness): HttpReply {
  let state: Readiness;
  try {
    state = readiness();
  } catch {
    state = { ready: false, reason: "readiness check failed" };
  }
  return state.ready
    ? { status: 200, contentType: TEXT, body: "ready\n" }
    : { status: 503, contentType: TEXT, body: `${state.reason || "not ready"}\n` };
}

function parseUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

function send(request: IncomingMessage, response: ServerResponse, reply: HttpReply): void {
  if (response.headersSent || response.destroyed) return;
  const body = Buffer.from(reply.body, "utf8");
  const headers: Record<string, string | number> = {
    "content-type": reply.contentType,
    "content-length": body.length,
    "cache-control": "no-store",
  };
  if (reply.status === 405) headers.allow = "GET, HEAD";
  response.writeHead(reply.status, headers);
  response.end(request.method === "HEAD" ? undefined : body);
}
