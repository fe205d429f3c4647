// Metrics and probes of the running server (issue 5): scrape /metrics, send a known set of
// queries over real sockets, scrape again and check the exact increments by label.

import assert from "node:assert/strict";
import { VERSION } from "../../src/app.js";
import { buildQuery, decode, query, udpExchange } from "../support/dns-client.js";
import { RCODE } from "../support/expect.js";
import { header, packet } from "../support/raw-packet.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { name, specObjects } from "../support/spec-fixture.js";

/** One sample of the text exposition format: metric name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const UNESCAPE: Record<string, string> = { "\\": "\\", '"': '"', n: "\n" };

/** Parse `{a="x",b="y\"z"}` starting at text[start] === "{"; returns labels and the index after "}". */
function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  while (i < text.length && text[i] !== "}") {
    const eq = text.indexOf("=", i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${text}`);
    const key = text.slice(i, eq).trim();
    let value = "";
    let j = eq + 2;
    while (j < text.length && text[j] !== '"') {
      if (text[j] === "\\") {
        const escaped = text[j + 1] ?? "";
        value += UNESCAPE[escaped] ?? `\\${escaped}`;
        j += 2;
      } else {
        value += text[j];
        j += 1;
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value: ${text}`);
    labels[key] = value;
    i = j + 1;
    if (text[i] === ",") i += 1;
  }
  if (text[i] !== "}") throw new Error(`unterminated label set: ${text}`);
  return { labels, end: i + 1 };
}

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case; prom-client writes "Nan". */
function parseValue(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  const value = Number(raw);
  if (raw === "" || Number.isNaN(value)) throw new Error(`bad value ${raw}`);
  return value;
}

/** Prometheus text format 0.0.4: comments and blank lines skipped, an optional timestamp ignored. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`);
    const metric = line.slice(0, nameEnd);
    let labels: Record<string, string> = {};
    let rest = line.slice(nameEnd);
    if (rest.startsWith("{")) {
      const parsed = parseLabels(line, nameEnd);
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    }
    const [value = "", ...timestamp] = rest.trim().split(/\s+/);
    if (timestamp.length > 1) throw new Error(`bad sample line: ${line}`);
    samples.push({ name: metric, labels, value: parseValue(value) });
  }
  return samples;
}

/** Samples of `metric` whose labels include every pair of `match`. */
function select(samples: Sample[], metric: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === metric && Object.entries(match).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the single sample that matches exactly these labels; 0 when it does not exist yet. */
function value(samples: Sample[], metric: string, labels: Record<string, string> = {}): number {
  const exact = select(samples, metric, labels).filter(
    (s) => Object.keys(s.labels).length === Object.keys(labels).length,
  );
  assert.ok(exact.length <= 1, `${metric} ${JSON.stringify(labels)} appears ${exact.length} times`);
  return exact[0]?.value ?? 0;
}

const P = "clusterset_dns_";

describe("metrics and probes", () => {
  let server: TestServer;
  const url = (path: string): string => `http://127.0.0.1:${server.app.httpPort}${path}`;
  const get = (path: string): Promise<Response> =>
    fetch(url(path), { signal: AbortSignal.timeout(5000) });
  const scrape = async (): Promise<Sample[]> => {
    const response = await get("/metrics");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return parseExposition(await response.text());
  };

  before(async () => {
    server = await startTestServer(specObjects());
  });
  after(async () => {
    await server.stop();
  });

  it("the exposition parser reads labels with escapes, +Inf and timestamps", () => {
    const samples = parseExposition(
      [
        "# HELP x_total help",
        "# TYPE x_total counter",
        'x_total{a="1",b="q\\"uote\\\\ \\n"} 3',
        'h_bucket{le="+Inf"} 7 1700000000000',
        "plain 2.5e-3",
        "lag Nan",
        "",
      ].join("\n"),
    );
    assert.deepEqual(samples, [
      { name: "x_total", labels: { a: "1", b: 'q"uote\\ \n' }, value: 3 },
      { name: "h_bucket", labels: { le: "+Inf" }, value: 7 },
      { name: "plain", labels: {}, value: 0.0025 },
      { name: "lag", labels: {}, value: NaN },
    ]);
    assert.throws(() => parseExposition('x{a="1" 3'));
  });

  it("/health and /ready are 200 after the sources synced", async () => {
    const health = await get("/health");
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");
    const ready = await get("/ready");
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ready\n");
    assert.equal((await get("/nosuch")).status, 404);
  });

  it("counts a known set of queries exactly, by label", async () => {
    const v4svc = name("v4svc");
    const before = await scrape();

    // Order matters only for the cache: the first of each key misses, the rest hit.
    const shortDatagram = packet(header({}).slice(0, 11));
    assert.equal(await udpExchange(server.port, shortDatagram, 300), undefined, "dropped");
    for (let i = 0; i < 3; i++) {
      assert.equal((await query(server.port, v4svc, { type: "A" })).header.rcode, RCODE.NOERROR);
    }
    for (let i = 0; i < 2; i++) {
      const nodata = await query(server.port, v4svc, { type: "AAAA" });
      assert.equal(nodata.header.rcode, RCODE.NOERROR);
      assert.equal(nodata.answers.length, 0);
    }
    const nx = await query(server.port, name("nosuch"), { type: "A" });
    assert.equal(nx.header.rcode, RCODE.NXDOMAIN);
    const refused = await query(server.port, "example.com", { type: "A" });
    assert.equal(refused.header.rcode, RCODE.REFUSED);
    const formerr = await udpExchange(server.port, packet(header({ qdcount: 0 })));
    assert.ok(formerr);
    assert.equal(decode(formerr).header.rcode, RCODE.FORMERR);
    for (let i = 0; i < 2; i++) {
      const tcp = await query(server.port, v4svc, { type: "A", transport: "tcp" });
      assert.equal(tcp.header.rcode, RCODE.NOERROR);
    }

    const after = await scrape();
    const delta = (metric: string, labels: Record<string, string> = {}): number =>
      value(after, metric, labels) - value(before, metric, labels);
    const requests = `${P}dns_requests_total`;
    const responses = `${P}dns_responses_total`;

    // Requests: every packet, the dropped one included; no question read → type "other".
    assert.deepEqual(
      {
        udpA: delta(requests, { proto: "udp", family: "1", type: "A" }),
        udpAAAA: delta(requests, { proto: "udp", family: "1", type: "AAAA" }),
        udpOther: delta(requests, { proto: "udp", family: "1", type: "other" }),
        tcpA: delta(requests, { proto: "tcp", family: "1", type: "A" }),
        ipv6: select(after, requests, { family: "2" }).length,
      },
      { udpA: 5, udpAAAA: 2, udpOther: 2, tcpA: 2, ipv6: 0 },
    );
    const requestTotal = (samples: Sample[]): number =>
      select(samples, requests).reduce((sum, s) => sum + s.value, 0);
    assert.equal(requestTotal(after) - requestTotal(before), 11, "no other requests counted");

    assert.deepEqual(
      {
        NOERROR: delta(responses, { rcode: "NOERROR" }),
        NXDOMAIN: delta(responses, { rcode: "NXDOMAIN" }),
        REFUSED: delta(responses, { rcode: "REFUSED" }),
        FORMERR: delta(responses, { rcode: "FORMERR" }),
        SERVFAIL: delta(responses, { rcode: "SERVFAIL" }),
      },
      { NOERROR: 7, NXDOMAIN: 1, REFUSED: 1, FORMERR: 1, SERVFAIL: 0 },
    );

    assert.equal(delta(`${P}dns_dropped_total`, { proto: "udp", reason: "short" }), 1);
    assert.equal(delta(`${P}dns_dropped_total`, { proto: "udp", reason: "response" }), 0);

    // Answer cache: keys are (name, type, size class); UDP (512) and TCP (65535) differ.
    // Misses: v4svc A/udp, v4svc AAAA/udp, nosuch A/udp, v4svc A/tcp; the rest are hits.
    // REFUSED, FORMERR and the drop never reach the cache.
    assert.equal(delta(`${P}cache_misses_total`), 4);
    assert.equal(delta(`${P}cache_hits_total`), 4);

    const duration = `${P}dns_request_duration_seconds`;
    assert.deepEqual(
      {
        A: delta(`${duration}_count`, { type: "A" }),
        AAAA: delta(`${duration}_count`, { type: "AAAA" }),
        other: delta(`${duration}_count`, { type: "other" }),
      },
      { A: 7, AAAA: 2, other: 2 },
    );
    assert.equal(delta(`${duration}_bucket`, { type: "A", le: "+Inf" }), 7, "+Inf bucket = count");
    assert.ok(delta(`${duration}_sum`, { type: "A" }) > 0);

    assert.equal(delta(`${P}dns_request_size_bytes_count`, { proto: "udp" }), 9);
    assert.equal(delta(`${P}dns_request_size_bytes_count`, { proto: "tcp" }), 2);
    // The dropped datagram has no response.
    assert.equal(delta(`${P}dns_response_size_bytes_count`, { proto: "udp" }), 8);
    assert.equal(delta(`${P}dns_response_size_bytes_count`, { proto: "tcp" }), 2);
    // Sizes are the DNS message bytes (without TCP's length prefix).
    const size = (qname: string): number => buildQuery(qname).length;
    assert.equal(
      delta(`${P}dns_request_size_bytes_sum`, { proto: "udp" }),
      11 + 12 + 5 * size(v4svc) + size(name("nosuch")) + size("example.com"),
    );
    assert.equal(delta(`${P}dns_request_size_bytes_sum`, { proto: "tcp" }), 2 * size(v4svc));
  });

  it("gauges follow the state: clusterset_dns_ready is 1 while /ready is 200; cache_entries counts cached answers", async () => {
    const samples = await scrape();
    assert.equal((await get("/ready")).status, 200);
    assert.equal(value(samples, `${P}ready`), 1);
    // The four distinct keys of the counting test.
    assert.equal(value(samples, `${P}cache_entries`), 4);
    assert.ok(value(samples, `${P}cache_size_bytes`) > 0);
  });

  it("counts the slice with an invalid cluster id as a rejected EndpointSlice", async () => {
    const samples = await scrape();
    const rejected = select(samples, `${P}rejected_objects_total`, { kind: "EndpointSlice" });
    const total = rejected.reduce((sum, s) => sum + s.value, 0);
    assert.ok(total >= 1, `rejected EndpointSlices: ${JSON.stringify(rejected)}`);
    assert.ok(
      value(samples, `${P}rejected_objects_total`, { kind: "EndpointSlice", reason: "object" }) >=
        1,
    );
    assert.equal(
      select(samples, `${P}rejected_objects_total`, { kind: "ServiceImport" }).reduce(
        (sum, s) => sum + s.value,
        0,
      ),
      0,
      "every ServiceImport of the fixture is valid",
    );
  });

  it("snapshot builds, build_info and the process metrics", async () => {
    const samples = await scrape();
    const builds = value(samples, `${P}snapshot_builds_total`);
    assert.ok(builds >= 1, `builds ${builds}`);
    assert.equal(value(samples, `${P}snapshot_build_duration_seconds_count`), builds);
    assert.equal(
      value(samples, `${P}snapshot_generation`),
      server.app.publisher.current!.generation,
    );
    assert.equal(value(samples, `${P}snapshot_names`), server.app.publisher.current!.nodes.size);

    assert.deepEqual(
      select(samples, `${P}build_info`).map((s) => [s.labels, s.value]),
      [[{ version: VERSION, node_version: process.version }, 1]],
    );
    for (const metric of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      assert.equal(select(samples, metric).length, 1, `${metric} present`);
    }
    const start = value(samples, "process_start_time_seconds");
    assert.ok(Math.abs(start - Date.now() / 1000) < 3600, `process start ${start}`);
  });
});
