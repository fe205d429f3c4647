import assert from "node:assert/strict";
import {
  LOG_LEVELS,
  RateLimitedLog,
  RejectLogger,
  createLogger,
  isLogLevel,
  rateLimited,
} from "../../../src/observe/log.js";
import type { ValidationProblem } from "../../../src/zone/types.js";

/** A pino destination that keeps every line in memory. */
function memoryDestination(): {
  write(line: string): void;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  return {
    write: (line: string) => void chunks.push(line),
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function problem(reason: string, name = "web"): ValidationProblem {
  return { kind: "EndpointSlice", namespace: "ns1", name, path: "", reason, objectSkipped: true };
}

describe("observe/log", () => {
  it("writes JSON lines with a string level, ISO time and our name", () => {
    const dest = memoryDestination();
    const log = createLogger("info", dest);
    log.info({ source: "kube" }, "source synced");
    log.debug("not written at info");
    log.error("boom");
    const lines = dest.lines();
    assert.equal(lines.length, 2);
    const [first, second] = lines;
    assert.equal(first!.level, "info");
    assert.equal(first!.msg, "source synced");
    assert.equal(first!.source, "kube");
    assert.equal(first!.name, "clusterset-dns");
    assert.equal(first!.pid, process.pid);
    assert.equal(typeof first!.time, "string");
    assert.match(first!.time as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(second!.level, "error");
  });

  it("honours every documented level and rejects others", () => {
    assert.deepEqual(
      [...LOG_LEVELS],
      ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    );
    for (const level of LOG_LEVELS)
      assert.equal(createLogger(level, memoryDestination()).level, level);
    assert.ok(isLogLevel("debug"));
    assert.ok(!isLogLevel("verbose"));
    assert.throws(
      () => createLogger("verbose", memoryDestination()),
      /unknown log level "verbose"/,
    );

    const dest = memoryDestination();
    const silent = createLogger("silent", dest);
    silent.fatal("nothing");
    assert.equal(dest.lines().length, 0);
    const trace = createLogger("trace", dest);
    trace.trace("something");
    assert.equal(dest.lines()[0]!.level, "trace");
  });

  it("rate-limits per key and reports how many lines it suppressed", () => {
    const dest = memoryDestination();
    let now = 1_000;
    const limiter = new RateLimitedLog(createLogger("info", dest), {
      perInterval: 2,
      intervalMs: 60_000,
      now: () => now,
    });
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) results.push(limiter.log("warn", "a", { i }, "line a"));
    results.push(limiter.log("warn", "b", {}, "line b"));
    assert.deepEqual(results, [true, true, false, false, false, true]);
    assert.equal(limiter.suppressedTotal, 3);
    assert.equal(dest.lines().length, 3);

    now += 59_999; // same window
    assert.equal(limiter.log("warn", "a", {}, "line a"), false);
    now += 1; // next window: the first line carries the count
    assert.equal(limiter.log("warn", "a", { i: 9 }, "line a"), true);
    const last = dest.lines().at(-1)!;
    assert.equal(last.suppressed, 4);
    assert.equal(last.i, 9);
    assert.equal(last.level, "warn");
    assert.equal(limiter.suppressedTotal, 4);

    // A line logged after that carries no stale count.
    assert.equal(limiter.log("warn", "a", {}, "line a"), true);
    assert.equal(dest.lines().at(-1)!.suppressed, undefined);
  });

  it("flush() writes one summary line per key with suppressed lines", () => {
    const dest = memoryDestination();
    const { log, flush, limiter } = rateLimited(createLogger("info", dest), {
      perInterval: 1,
      intervalMs: 1_000,
      now: () => 0,
    });
    log("x", {}, "x");
    log("x", {}, "x");
    log("x", {}, "x");
    log("y", {}, "y");
    flush();
    flush(); // nothing pending the second time
    const lines = dest.lines();
    assert.equal(lines.length, 3);
    assert.deepEqual(
      { key: lines[2]!.key, suppressed: lines[2]!.suppressed, level: lines[2]!.level },
      { key: "x", suppressed: 2, level: "warn" },
    );
    assert.equal(limiter.suppressedTotal, 2);
  });

  it("keeps memory bounded when keys never repeat", () => {
    const dest = memoryDestination();
    const limiter = new RateLimitedLog(createLogger("info", dest), {
      perInterval: 1,
      intervalMs: 60_000,
      now: () => 0,
      maxKeys: 10,
    });
    let written = 0;
    for (let i = 0; i < 1000; i++) if (limiter.log("warn", `k${i}`, {}, "m")) written++;
    // Ten keys of their own, then one shared budget for the rest.
    assert.equal(written, 11);
    assert.equal(limiter.suppressedTotal, 989);
  });

  it("RejectLogger logs each rejection with its details, at most N per reason per minute", () => {
    const dest = memoryDestination();
    let now = 0;
    const rejects = new RejectLogger(createLogger("info", dest), { perMinute: 3, now: () => now });
    for (let i = 0; i < 10; i++) rejects.reject("kube", problem("invalid cluster id", `s${i}`));
    rejects.reject("kube", problem("bad port", "p"));
    const lines = dest.lines();
    assert.equal(lines.length, 4);
    assert.deepEqual(
      {
        level: lines[0]!.level,
        msg: lines[0]!.msg,
        source: lines[0]!.source,
        kind: lines[0]!.kind,
        namespace: lines[0]!.namespace,
        objectName: lines[0]!.objectName,
        reason: lines[0]!.reason,
        name: lines[0]!.name,
      },
      {
        level: "warn",
        msg: "object rejected",
        source: "kube",
        kind: "EndpointSlice",
        namespace: "ns1",
        objectName: "s0",
        reason: "invalid cluster id",
        name: "clusterset-dns",
      },
    );
    assert.equal(lines[3]!.reason, "bad port");
    assert.equal(rejects.suppressedTotal, 7);

    now = 60_000;
    rejects.reject("kube", { ...problem("invalid cluster id"), objectSkipped: false });
    const next = dest.lines().at(-1)!;
    assert.equal(next.suppressed, 7);
    assert.equal(next.msg, "part of object rejected");
  });
});
