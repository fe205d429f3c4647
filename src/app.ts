// Wires the pieces for one running server: store → publisher → policy → listeners, plus the
// chosen source, metrics and the ops endpoint. The CLI and the end-to-end tests both start the
// server through startApp, so tests exercise exactly what production runs.

import { readFileSync } from "node:fs";
import type { Config } from "./config.js";
import { Metrics } from "./observe/metrics.js";
import { startOpsServer } from "./observe/http.js";
import { RejectLogger, type Logger } from "./observe/log.js";
import { AddressAcl } from "./server/acl.js";
import { AnswerCache } from "./server/cache.js";
import { ResponseRateLimiter } from "./server/rrl.js";
import { createQueryHandler } from "./server/handler.js";
import { listenDns, type DnsListener } from "./server/listen.js";
import { udpBatchUnavailableReason } from "./server/udp.js";
import { QueryPolicy } from "./server/policy.js";
import { startFileSource } from "./source/file.js";
import { ObjectStore } from "./source/store.js";
import { SnapshotPublisher } from "./zone/publisher.js";
import { createDebugHandlers } from "./debug/http.js";
import { RecentProblems } from "./debug/recent.js";

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

export interface App {
  readonly dns: DnsListener;
  readonly httpPort: number | undefined;
  readonly store: ObjectStore;
  readonly publisher: SnapshotPublisher;
  readonly metrics: Metrics;
  /** /ready → 503 from now on (lame duck), answers continue. */
  beginShutdown(): void;
  /** Close listeners and sources. */
  stop(): Promise<void>;
}

export class SourceStartError extends Error {}

export async function startApp(config: Config, log: Logger): Promise<App> {
  const metrics = new Metrics({ version: VERSION, collectDefault: true });
  const store = new ObjectStore();
  const rejectLog = new RejectLogger(log);
  // Only with --debug: /debug/explain shows the problems seen lately; otherwise nothing is kept.
  const recentProblems = config.debug ? new RecentProblems() : undefined;
  const publisher = new SnapshotPublisher(store, {
    zone: {
      zone: config.zone,
      ttl: config.ttl,
      nsAddresses: config.nsAddresses,
      preferLocalSrv: config.preferLocalSrv,
    },
    clusterId: config.clusterId,
    onBuilt: (snapshot, seconds) => {
      metrics.snapshotBuilt(seconds, snapshot.nodes.size, snapshot.generation);
      log.debug(
        { generation: snapshot.generation, names: snapshot.nodes.size, seconds },
        "snapshot built",
      );
    },
    onBuildError: (error) =>
      log.error({ err: error }, "snapshot build failed; still serving the previous one"),
    onReject: (source, problem) => {
      metrics.rejected(problem.kind, problem.objectSkipped ? "object" : "part");
      rejectLog.reject(source, problem);
      recentProblems?.record(problem);
    },
    onSynced: (source) => log.info({ source }, "source synced"),
  });
  let shuttingDown = false;

  const cache = new AnswerCache({ maxBytes: config.cacheBytes, hooks: metrics.cache });
  const policy = new QueryPolicy(
    {
      zone: config.zone,
      maxUdpPayload: config.maxUdpPayload,
      serverId: config.serverId,
      nsid: config.nsid,
      allowTransfer: new AddressAcl(config.allowTransfer),
    },
    publisher,
    cache,
  );
  const handler = createQueryHandler(policy, {
    observer: metrics,
    rateLimiter: config.rrlRate > 0 ? new ResponseRateLimiter({ rate: config.rrlRate }) : undefined,
    onInternalError: (error) => log.error({ err: error }, "internal error answering a query"),
  });

  // Listeners first: until the sources sync, queries get SERVFAIL rather than silence.
  const dns = await listenDns(
    {
      host: config.listen.host,
      port: config.listen.port,
      tcp: {
        idleTimeoutMs: config.tcpIdleTimeoutSeconds * 1000,
        maxConnections: config.tcpMaxConnections,
      },
      udpIo: config.udpIo,
      onError: (error) => log.warn({ err: error }, "DNS socket error"),
    },
    handler,
  );
  const readiness = (): { ready: boolean; reason: string } => {
    if (shuttingDown) return { ready: false, reason: "shutting down" };
    if (publisher.current === undefined) {
      return {
        ready: false,
        reason: `waiting for sources: ${store.unsyncedSources().join(", ") || "starting"}`,
      };
    }
    return { ready: true, reason: "ready" };
  };
  const ops =
    config.http === undefined
      ? undefined
      : await startOpsServer({
          host: config.http.host,
          port: config.http.port,
          // Gauges of state kept elsewhere are sampled when Prometheus scrapes, not per change.
          metrics: {
            render: () => {
              metrics.setReady(readiness().ready);
              metrics.cache.setEntries(cache.entries);
              metrics.cache.setBytes(cache.bytes);
              return metrics.render();
            },
          },
          readiness,
          log,
          debugHandlers:
            recentProblems &&
            createDebugHandlers({
              zone: config.zone,
              clusterId: config.clusterId,
              preferLocalSrv: config.preferLocalSrv,
              objects: () => store.objects,
              snapshot: () => publisher.current,
              problems: () => recentProblems.list(),
            }),
        });

  let stopSource: () => Promise<void> | void;
  try {
    if (config.source.kind === "file") {
      const source = await startFileSource({
        path: config.source.path,
        sink: store.sink("file"),
        log,
      });
      stopSource = () => source.close();
    } else {
      // Loaded only here: @kubernetes/client-node adds ~65 MiB of RSS the file source never uses.
      const { loadKubeConfig, startKubeSource } = await import("./source/kube.js");
      const source = await startKubeSource({
        kubeConfig: loadKubeConfig(config.kubeconfig),
        store,
        log,
        watchIdleTimeoutMs: config.watchIdleTimeoutSeconds * 1000,
        hooks: {
          // Reachability is what operators alert on during an outage (answers continue from
          // the last good data): any failed request marks the API unreachable, any success
          // (a LIST, or an event on a watch) marks it reachable again.
          onEvent: (resource, type) => {
            metrics.kube.event(resource, type);
            metrics.kube.setApiReachable(true);
          },
          onRelist: (resource) => metrics.kube.relist(resource),
          onWatchRestart: (resource, reason) => metrics.kube.watchRestart(resource, reason),
          onWatchError: (resource) => {
            metrics.kube.watchError(resource);
            metrics.kube.setApiReachable(false);
          },
          onSynced: (resource, at) => {
            metrics.kube.synced(resource, at);
            metrics.kube.setApiReachable(true);
          },
          onHandlerError: (resource) => metrics.kube.handlerError(resource),
          onObjects: (resource, count) => metrics.kube.setObjects(resource, count),
        },
      });
      stopSource = () => source.stop();
    }
  } catch (error) {
    await Promise.all([dns.close(), ops?.close()]);
    publisher.close();
    throw new SourceStartError((error as Error).message);
  }

  log.info(
    {
      version: VERSION,
      dns: `${dns.host}:${dns.port}`,
      http: ops ? `${ops.address.host}:${ops.address.port}` : "off",
      source: config.source.kind === "file" ? `file:${config.source.path}` : "kube",
      zone: config.zone,
      udpIo: dns.udpIo,
      ...(dns.udpIo === "dgram"
        ? { udpBatchUnavailable: udpBatchUnavailableReason(config.udpIo) }
        : {}),
    },
    "clusterset-dns started",
  );

  return {
    dns,
    httpPort: ops?.address.port,
    store,
    publisher,
    metrics,
    beginShutdown: () => {
      shuttingDown = true;
      metrics.setReady(false);
    },
    stop: async () => {
      publisher.close();
      await Promise.all([dns.close(), ops?.close(), stopSource()]);
    },
  };
}
