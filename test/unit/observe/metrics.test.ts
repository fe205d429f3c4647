import assert from "node:assert/strict";
import {
  DURATION_BUCKETS,
  Metrics,
  SIZE_BUCKETS,
  rcodeLabel,
  typeLabel,
} from "../../../src/observe/metrics.js";
import { RRType, Rcode } from "../../../src/wire/types.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(LABEL)) labels[label[1]!] = label[2]!;
    const raw = match[3]!;
    samples.push({ name: match[1]!, labels, value: raw === "+Inf" ? Infinity : Number(raw) });
  }
  return samples;
}

/** The value of the one sample with exactly these labels, or undefined. */
function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples.filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  assert.ok(found.length <= 1, `several samples for ${name} ${want}`);
  return found[0]?.value;
}

function named(samples: Sample[], name: string): Sample[] {
  return samples.filter((s) => s.name === name);
}

async function scrape(metrics: Metrics): Promise<Sample[]> {
  return parseExposition((await metrics.render()).body);
}

describe("observe/metrics", () => {
  it("labels query types and rcodes the way CoreDNS does", () => {
    assert.equal(typeLabel(RRType.A), "A");
    assert.equal(typeLabel(RRType.SRV), "SRV");
    assert.equal(typeLabel(RRType.HINFO), "HINFO");
    assert.equal(typeLabel(RRType.AXFR), "AXFR");
    assert.equal(typeLabel(666), "other");
    assert.equal(typeLabel(0), "other");
    assert.equal(typeLabel(65535), "other");
    assert.equal(rcodeLabel(Rcode.NOERROR), "NOERROR");
    assert.equal(rcodeLabel(Rcode.NXDOMAIN), "NXDOMAIN");
    assert.equal(rcodeLabel(Rcode.BADVERS), "BADVERS");
    assert.equal(rcodeLabel(99), "99");
  });

  it("uses CoreDNS's duration and size buckets", () => {
    assert.equal(DURATION_BUCKETS.length, 16);
    assert.equal(DURATION_BUCKETS[0], 0.00025);
    assert.equal(DURATION_BUCKETS[15], 8.192);
    assert.deepEqual(
      SIZE_BUCKETS,
      [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16000, 32000, 48000, 64000],
    );
  });

  it("counts requests, responses, durations and sizes exactly", async () => {
    const metrics = new Metrics({ version: "1.2.3", collectDefault: false });
    metrics.observeQuery("udp", 4, RRType.A, Rcode.NOERROR, 40, 100, 0.0003);
    metrics.observeQuery("udp", 4, RRType.A, Rcode.NOERROR, 45, 120, 0.0002);
    metrics.observeQuery("tcp", 6, RRType.SRV, Rcode.NXDOMAIN, 50, 3000, 0.002);
    metrics.observeQuery("udp", 4, 666, Rcode.REFUSED, 30, 30, 0.0001);
    metrics.observeQuery("udp", 6, RRType.AAAA, Rcode.BADVERS, 60, 70, 0.0001);
    metrics.observeQuery("udp", 4, RRType.TXT, 99, 60, 70, 0.0001);
    // No reply sent: counted as a request, not as a response.
    metrics.observeQuery("udp", 4, RRType.A, -1, 11, 0, 0.00001);
    metrics.observeQuery("tcp", 4, RRType.A, Rcode.NOERROR, 20, 0, 0.00001);

    const s = await scrape(metrics);
    const req = "clusterset_dns_dns_requests_total";
    assert.equal(valueOf(s, req, { proto: "udp", family: "1", type: "A" }), 3);
    assert.equal(valueOf(s, req, { proto: "tcp", family: "1", type: "A" }), 1);
    assert.equal(valueOf(s, req, { proto: "tcp", family: "2", type: "SRV" }), 1);
    assert.equal(valueOf(s, req, { proto: "udp", family: "1", type: "other" }), 1);
    assert.equal(valueOf(s, req, { proto: "udp", family: "2", type: "AAAA" }), 1);
    assert.equal(valueOf(s, req, { proto: "udp", family: "1", type: "TXT" }), 1);
    assert.equal(named(s, req).length, 6);

    const resp = "clusterset_dns_dns_responses_total";
    assert.equal(valueOf(s, resp, { rcode: "NOERROR" }), 2);
    assert.equal(valueOf(s, resp, { rcode: "NXDOMAIN" }), 1);
    assert.equal(valueOf(s, resp, { rcode: "REFUSED" }), 1);
    assert.equal(valueOf(s, resp, { rcode: "BADVERS" }), 1);
    assert.equal(valueOf(s, resp, { rcode: "99" }), 1);
    assert.equal(named(s, resp).length, 5);

    const dur = "clusterset_dns_dns_request_duration_seconds";
    // type A: 0.0003, 0.0002, 0.00001, 0.00001
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "A", le: "0.00025" }), 3);
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "A", le: "0.0005" }), 4);
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "A", le: "8.192" }), 4);
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "A", le: "+Inf" }), 4);
    assert.equal(valueOf(s, `${dur}_count`, { type: "A" }), 4);
    assert.ok(Math.abs(valueOf(s, `${dur}_sum`, { type: "A" })! - 0.00052) < 1e-12);
    // type SRV: 0.002 lands exactly on a bound, which is inclusive.
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "SRV", le: "0.001" }), 0);
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "SRV", le: "0.002" }), 1);
    assert.equal(named(s, `${dur}_bucket`).filter((x) => x.labels.type === "SRV").length, 17);

    const reqSize = "clusterset_dns_dns_request_size_bytes";
    // udp: 40, 45, 30, 60, 60, 11
    assert.equal(valueOf(s, `${reqSize}_bucket`, { proto: "udp", le: "0" }), 0);
    assert.equal(valueOf(s, `${reqSize}_bucket`, { proto: "udp", le: "100" }), 6);
    assert.equal(valueOf(s, `${reqSize}_count`, { proto: "udp" }), 6);
    assert.equal(valueOf(s, `${reqSize}_sum`, { proto: "udp" }), 246);
    assert.equal(valueOf(s, `${reqSize}_count`, { proto: "tcp" }), 2);
    assert.equal(valueOf(s, `${reqSize}_sum`, { proto: "tcp" }), 70);

    const respSize = "clusterset_dns_dns_response_size_bytes";
    // udp: 100, 120, 30, 70, 70 (the two unanswered packets are not here); tcp: 3000
    assert.equal(valueOf(s, `${respSize}_bucket`, { proto: "udp", le: "100" }), 4);
    assert.equal(valueOf(s, `${respSize}_bucket`, { proto: "udp", le: "200" }), 5);
    assert.equal(valueOf(s, `${respSize}_count`, { proto: "udp" }), 5);
    assert.equal(valueOf(s, `${respSize}_sum`, { proto: "udp" }), 390);
    assert.equal(valueOf(s, `${respSize}_bucket`, { proto: "tcp", le: "2047" }), 0);
    assert.equal(valueOf(s, `${respSize}_bucket`, { proto: "tcp", le: "4095" }), 1);
    assert.equal(valueOf(s, `${respSize}_bucket`, { proto: "tcp", le: "64000" }), 1);
    assert.equal(valueOf(s, `${respSize}_count`, { proto: "tcp" }), 1);
  });

  it("never lets a NaN or negative duration poison a histogram sum", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, Number.NaN);
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, -0.5);
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.001);
    const s = await scrape(metrics);
    const dur = "clusterset_dns_dns_request_duration_seconds";
    assert.equal(valueOf(s, `${dur}_sum`, { type: "A" }), 0.001);
    assert.equal(valueOf(s, `${dur}_bucket`, { type: "A", le: "0.00025" }), 2);
    assert.equal(valueOf(s, `${dur}_count`, { type: "A" }), 3);
  });

  it("counts dropped packets by proto and reason", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.dropped("udp", "short");
    metrics.dropped("udp", "short");
    metrics.dropped("tcp", "response");
    metrics.dropped("udp", "response");
    const s = await scrape(metrics);
    const name = "clusterset_dns_dns_dropped_total";
    assert.equal(valueOf(s, name, { proto: "udp", reason: "short" }), 2);
    assert.equal(valueOf(s, name, { proto: "tcp", reason: "response" }), 1);
    assert.equal(valueOf(s, name, { proto: "udp", reason: "response" }), 1);
    assert.equal(named(s, name).length, 3);
  });

  it("bounds the label cardinality of dropped reasons", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    for (let i = 0; i < 100; i++) metrics.dropped("udp", `reason-${i}`);
    const s = await scrape(metrics);
    const series = named(s, "clusterset_dns_dns_dropped_total");
    assert.equal(series.length, 65);
    assert.equal(
      valueOf(s, "clusterset_dns_dns_dropped_total", { proto: "other", reason: "other" }),
      36,
    );
    assert.equal(
      series.reduce((sum, x) => sum + x.value, 0),
      100,
    );
  });

  it("exposes the answer cache counters and gauges", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.cache.hit();
    metrics.cache.hit();
    metrics.cache.hit();
    metrics.cache.miss();
    metrics.cache.eviction();
    metrics.cache.eviction();
    metrics.cache.setEntries(7);
    metrics.cache.setBytes(1234);
    const s = await scrape(metrics);
    assert.equal(valueOf(s, "clusterset_dns_cache_hits_total"), 3);
    assert.equal(valueOf(s, "clusterset_dns_cache_misses_total"), 1);
    assert.equal(valueOf(s, "clusterset_dns_cache_evictions_total"), 2);
    assert.equal(valueOf(s, "clusterset_dns_cache_entries"), 7);
    assert.equal(valueOf(s, "clusterset_dns_cache_size_bytes"), 1234);
  });

  it("exposes the Kubernetes source metrics", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.kube.event("serviceimports", "ADDED");
    metrics.kube.event("serviceimports", "ADDED");
    metrics.kube.event("endpointslices", "DELETED");
    metrics.kube.relist("endpointslices");
    metrics.kube.watchRestart("serviceimports", "idle");
    metrics.kube.watchRestart("serviceimports", "gone");
    metrics.kube.watchRestart("serviceimports", "gone");
    metrics.kube.watchError("clusterproperties");
    metrics.kube.synced("serviceimports", new Date(1_700_000_000_500));
    metrics.kube.handlerError("endpointslices");
    metrics.kube.setObjects("endpointslices", 12);
    metrics.kube.setObjects("endpointslices", 10);
    metrics.kube.setApiReachable(true);
    let s = await scrape(metrics);
    assert.equal(
      valueOf(s, "clusterset_dns_kube_events_total", { resource: "serviceimports", type: "ADDED" }),
      2,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_events_total", {
        resource: "endpointslices",
        type: "DELETED",
      }),
      1,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_relists_total", { resource: "endpointslices" }),
      1,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_watch_restarts_total", {
        resource: "serviceimports",
        reason: "gone",
      }),
      2,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_watch_restarts_total", {
        resource: "serviceimports",
        reason: "idle",
      }),
      1,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_watch_errors_total", { resource: "clusterproperties" }),
      1,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_last_sync_timestamp_seconds", { resource: "serviceimports" }),
      1_700_000_000.5,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_kube_handler_errors_total", { resource: "endpointslices" }),
      1,
    );
    assert.equal(valueOf(s, "clusterset_dns_kube_objects", { resource: "endpointslices" }), 10);
    assert.equal(valueOf(s, "clusterset_dns_kube_api_reachable"), 1);
    metrics.kube.setApiReachable(false);
    s = await scrape(metrics);
    assert.equal(valueOf(s, "clusterset_dns_kube_api_reachable"), 0);
  });

  it("has no kube_api_reachable sample until a Kubernetes source reports", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    assert.equal(valueOf(await scrape(metrics), "clusterset_dns_kube_api_reachable"), undefined);
    metrics.kube.setApiReachable(false);
    assert.equal(valueOf(await scrape(metrics), "clusterset_dns_kube_api_reachable"), 0);
  });

  it("counts rejected objects with bounded labels", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.rejected("EndpointSlice", "bad-cluster-id");
    metrics.rejected("EndpointSlice", "bad-cluster-id");
    metrics.rejected("ServiceImport", "x".repeat(200));
    for (let i = 0; i < 150; i++) metrics.rejected("ServiceImport", `r${i}`);
    const s = await scrape(metrics);
    const name = "clusterset_dns_rejected_objects_total";
    assert.equal(valueOf(s, name, { kind: "EndpointSlice", reason: "bad-cluster-id" }), 2);
    assert.equal(valueOf(s, name, { kind: "ServiceImport", reason: "x".repeat(64) }), 1);
    assert.equal(named(s, name).length, 101);
    assert.equal(valueOf(s, name, { kind: "other", reason: "other" }), 52);
  });

  it("exposes snapshot builds, readiness and build info", async () => {
    const metrics = new Metrics({ version: "1.2.3", collectDefault: false });
    let s = await scrape(metrics);
    assert.equal(valueOf(s, "clusterset_dns_ready"), 0);
    assert.equal(valueOf(s, "clusterset_dns_snapshot_builds_total"), 0);
    assert.equal(
      valueOf(s, "clusterset_dns_build_info", { version: "1.2.3", node_version: process.version }),
      1,
    );

    metrics.snapshotBuilt(0.003, 42, 7);
    metrics.snapshotBuilt(0.0005, 43, 8);
    metrics.setReady(true);
    s = await scrape(metrics);
    assert.equal(valueOf(s, "clusterset_dns_ready"), 1);
    assert.equal(valueOf(s, "clusterset_dns_snapshot_builds_total"), 2);
    assert.equal(valueOf(s, "clusterset_dns_snapshot_names"), 43);
    assert.equal(valueOf(s, "clusterset_dns_snapshot_generation"), 8);
    assert.equal(
      valueOf(s, "clusterset_dns_snapshot_build_duration_seconds_bucket", { le: "0.001" }),
      1,
    );
    assert.equal(
      valueOf(s, "clusterset_dns_snapshot_build_duration_seconds_bucket", { le: "0.004" }),
      2,
    );
    assert.equal(valueOf(s, "clusterset_dns_snapshot_build_duration_seconds_count"), 2);
  });

  it("renders the Prometheus text format with HELP and TYPE for every family", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.001);
    const { contentType, body } = await metrics.render();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.ok(body.endsWith("\n"));
    assert.match(body, /^# TYPE clusterset_dns_dns_requests_total counter$/m);
    assert.match(body, /^# TYPE clusterset_dns_dns_request_duration_seconds histogram$/m);
    assert.match(body, /^# HELP clusterset_dns_dns_responses_total \S/m);
    for (const sample of parseExposition(body)) {
      assert.ok(sample.name.startsWith("clusterset_dns_"), sample.name);
      assert.ok(Number.isFinite(sample.value), `${sample.name} = ${sample.value}`);
    }
  });

  it("adds Node's process metrics without our prefix when asked", async () => {
    const withDefaults = new Metrics({ version: "1", collectDefault: true });
    const without = new Metrics({ version: "1", collectDefault: false });
    const s = await scrape(withDefaults);
    assert.ok(valueOf(s, "process_cpu_user_seconds_total") !== undefined);
    assert.ok(
      named(s, "process_resident_memory_bytes").length === 1 || process.platform !== "linux",
    );
    assert.equal(named(s, "clusterset_dns_process_cpu_user_seconds_total").length, 0);
    assert.equal((await scrape(without)).filter((x) => x.name.startsWith("process_")).length, 0);
  });

  it("keeps separate instances independent", async () => {
    const a = new Metrics({ version: "1", collectDefault: false });
    const b = new Metrics({ version: "1", collectDefault: false });
    a.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.001);
    assert.equal(
      valueOf(await scrape(a), "clusterset_dns_dns_requests_total", {
        proto: "udp",
        family: "1",
        type: "A",
      }),
      1,
    );
    assert.equal(named(await scrape(b), "clusterset_dns_dns_requests_total").length, 0);
  });

  it("costs little per query (prints ns/call)", async () => {
    const metrics = new Metrics({ version: "1", collectDefault: false });
    const types = [RRType.A, RRType.AAAA, RRType.SRV, RRType.TXT, 666];
    const calls = 1_000_000;
    // Warm up so the measurement is of optimized code.
    for (let i = 0; i < 100_000; i++) metrics.observeQuery("udp", 4, RRType.A, 0, 40, 80, 0.0003);
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      metrics.observeQuery(
        (i & 1) === 0 ? "udp" : "tcp",
        (i & 2) === 0 ? 4 : 6,
        types[i % 5]!,
        i % 7 === 0 ? 3 : 0,
        40 + (i & 63),
        80 + (i & 255),
        0.0001 * (1 + (i & 15)),
      );
    }
    const nsPerCall = Number(process.hrtime.bigint() - start) / calls;
    console.log(`      observeQuery: ${nsPerCall.toFixed(1)} ns/call`);
    assert.ok(nsPerCall < 2000, `observeQuery took ${nsPerCall} ns/call`);
    const s = await scrape(metrics);
    const total = named(s, "clusterset_dns_dns_requests_total").reduce(
      (sum, x) => sum + x.value,
      0,
    );
    assert.equal(total, calls + 100_000);
  });
});
