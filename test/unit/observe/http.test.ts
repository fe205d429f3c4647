import assert from "node:assert/strict";
import { request } from "node:http";
import { startOpsServer, type OpsServer, type Readiness } from "../../../src/observe/http.js";
import { createLogger } from "../../../src/observe/log.js";
import { Metrics } from "../../../src/observe/metrics.js";
import { RRType } from "../../../src/wire/types.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(server: OpsServer, path: string, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: server.address.port, path, method, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

describe("observe/http", () => {
  const lines: string[] = [];
  const log = createLogger("info", { write: (line: string) => void lines.push(line) });
  let readiness: Readiness = { ready: false, reason: "waiting for source kube to sync" };
  let server: OpsServer;
  let metrics: Metrics;

  before(async () => {
    metrics = new Metrics({ version: "9.9.9", collectDefault: false });
    const debugHandlers = new Map([
      [
        "/debug/echo",
        (url: URL) =>
          Promise.resolve({
            status: 200,
            contentType: "application/json",
            body: JSON.stringify({ q: url.searchParams.get("q") }),
          }),
      ],
      ["/debug/fail", () => Promise.reject(new Error("debug handler failed"))],
    ]);
    server = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness: () => readiness,
      log,
      debugHandlers,
    });
  });

  after(async () => {
    await server.close();
  });

  it("binds to the given host and a free port", () => {
    assert.equal(server.address.host, "127.0.0.1");
    assert.ok(server.address.port > 0);
  });

  it("GET /health is 200 ok", async () => {
    const reply = await call(server, "/health");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "ok\n");
    assert.equal(reply.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(reply.headers["cache-control"], "no-store");
  });

  it("GET /ready is 503 with the reason until ready, then 200", async () => {
    readiness = { ready: false, reason: "waiting for source kube to sync" };
    let reply = await call(server, "/ready");
    assert.equal(reply.status, 503);
    assert.equal(reply.body, "waiting for source kube to sync\n");

    readiness = { ready: true, reason: "" };
    reply = await call(server, "/ready");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "ready\n");

    readiness = { ready: false, reason: "" };
    reply = await call(server, "/ready");
    assert.equal(reply.status, 503);
    assert.equal(reply.body, "not ready\n");

    readiness = { ready: false, reason: "shutting down" };
    reply = await call(server, "/ready?verbose=1");
    assert.equal(reply.status, 503);
    assert.equal(reply.body, "shutting down\n");
  });

  it("GET /metrics returns the Prometheus text with current counts", async () => {
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.001);
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.001);
    const reply = await call(server, "/metrics");
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.match(
      reply.body,
      /^clusterset_dns_dns_requests_total\{proto="udp",family="1",type="A"\} 2$/m,
    );
    assert.match(
      reply.body,
      /^clusterset_dns_build_info\{version="9\.9\.9",node_version="v[\d.]+"\} 1$/m,
    );
  });

  it("HEAD answers headers without a body", async () => {
    const reply = await call(server, "/health", "HEAD");
    assert.equal(reply.status, 200);
    assert.equal(reply.body, "");
    assert.equal(reply.headers["content-length"], "3");
  });

  it("unknown paths are 404, other methods 405", async () => {
    assert.equal((await call(server, "/")).status, 404);
    assert.equal((await call(server, "/healthz")).status, 404);
    assert.equal((await call(server, "/metrics/x")).status, 404);
    assert.equal((await call(server, "/nope", "POST")).status, 404);
    const post = await call(server, "/health", "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
  });

  it("serves debug handlers and turns their failures into 500", async () => {
    const ok = await call(server, "/debug/echo?q=web.ns1");
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(ok.body), { q: "web.ns1" });
    const failed = await call(server, "/debug/fail");
    assert.equal(failed.status, 500);
    assert.equal(failed.body, "internal error\n");
    assert.ok(lines.some((line) => line.includes("ops HTTP handler failed")));
    // The server is still up.
    assert.equal((await call(server, "/health")).status, 200);
  });

  it("a readiness function that throws gives 503, not a crash", async () => {
    const throwing = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness: () => {
        throw new Error("broken");
      },
      log,
    });
    try {
      const reply = await call(throwing, "/ready");
      assert.equal(reply.status, 503);
      assert.equal(reply.body, "readiness check failed\n");
    } finally {
      await throwing.close();
    }
  });

  it("a metrics render failure gives 500", async () => {
    const failing = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics: { render: () => Promise.reject(new Error("scrape failed")) },
      readiness: () => readiness,
      log,
    });
    try {
      assert.equal((await call(failing, "/metrics")).status, 500);
    } finally {
      await failing.close();
    }
  });

  it("rejects when the port is taken, and close() releases it even with keep-alive clients", async () => {
    await assert.rejects(
      startOpsServer({
        host: "127.0.0.1",
        port: server.address.port,
        metrics,
        readiness: () => readiness,
        log,
      }),
      /EADDRINUSE/,
    );
    const other = await startOpsServer({
      host: "127.0.0.1",
      port: 0,
      metrics,
      readiness: () => readiness,
      log,
    });
    const port = other.address.port;
    // A keep-alive connection left open by a client.
    const { Agent } = await import("node:http");
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/health", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    const started = Date.now();
    await other.close();
    assert.ok(Date.now() - started < 1_000, "close() waited for the idle keep-alive socket");
    agent.destroy();
    const again = await startOpsServer({
      host: "127.0.0.1",
      port,
      metrics,
      readiness: () => readiness,
      log,
    });
    await again.close();
  });

  it("answers a malformed request with 400 and keeps serving", async () => {
    const { connect } = await import("node:net");
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.address.port, "127.0.0.1", () =>
        socket.write("GARBAGE\r\n\r\n"),
      );
      let data = "";
      socket.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
      socket.on("end", () => resolve(data));
      socket.on("close", () => resolve(data));
      socket.on("error", reject);
      socket.setTimeout(5_000, () => socket.destroy(new Error("timeout")));
    });
    assert.match(response, /^HTTP\/1\.1 400 Bad Request/);
    assert.equal((await call(server, "/health")).status, 200);
  });
});
