// Plain GET requests to the apiserver for discovery and LIST.
//
// Why raw node:http(s) and not the generated CustomObjectsApi/DiscoveryV1Api: we need the HTTP
// status of every failure (404 → rediscover, 410 → relist, anything else → back off), an abort
// signal so stop() ends a LIST in flight, and a socket timeout; the generated clients wrap all of
// that in their own exception and middleware types. Global fetch is no option either: it ignores
// the `agent` through which KubeConfig applies CA, client certificates and proxies.
// KubeConfig.applyToHTTPSOptions is called per request so rotated service-account tokens are
// picked up (client-node re-reads the token file).

import http from "node:http";
import https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** A request that got an HTTP answer other than 200, or a Status object in a watch stream. */
export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

/** The HTTP status of an error from our requests or from client-node's Watch, if it has one. */
export function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}

function statusMessage(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return `HTTP ${status}: ${parsed.message}`;
  } catch {
    // Not a Status object; the status code alone says enough.
  }
  return `HTTP ${status}`;
}

export interface GetJsonOptions {
  signal: AbortSignal;
  /** Socket inactivity limit; a LIST that stops sending for this long fails. */
  timeoutMs: number;
}

/** GET `path` (relative to the cluster's server URL) with `query`, parsed as JSON. */
export async function getJson(
  kubeConfig: KubeConfig,
  path: string,
  query: Record<string, string>,
  options: GetJsonOptions,
): Promise<unknown> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error("kubeconfig has no current cluster");
  // Like client-node's Watch: the server URL may carry a path prefix (API proxies), so append.
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const requestOptions: https.RequestOptions = {
    method: "GET",
    headers: { accept: "application/json" },
  };
  await kubeConfig.applyToHTTPSOptions(requestOptions);
  options.signal.throwIfAborted();
  const transport = url.protocol === "https:" ? https : http;
  return new Promise<unknown>((resolve, reject) => {
    const request = transport.request(
      url,
      { ...requestOptions, signal: options.signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const status = response.statusCode ?? 0;
          if (status !== 200) {
            reject(new KubeApiError(status, statusMessage(status, body)));
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch (error) {
            reject(new Error(`invalid JSON from ${url.pathname}: ${(error as Error).message}`));
          }
        });
      },
    );
    request.setTimeout(options.timeoutMs, () =>
      request.destroy(new Error(`no data for ${options.timeoutMs} ms`)),
    );
    request.on("error", reject);
    request.end();
  });
}
