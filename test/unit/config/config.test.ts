import assert from "node:assert/strict";
import { ConfigError, envName, parseCli, parseHostPort, type Config } from "../../../src/config.js";

function serve(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const action = parseCli(argv, env);
  assert.equal(action.action, "serve");
  return (action as { config: Config }).config;
}

function rejects(argv: string[], env: NodeJS.ProcessEnv, pattern: RegExp): void {
  assert.throws(
    () => parseCli(argv, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"), "one line");
      return true;
    },
  );
}

describe("config", () => {
  it("defaults match shared/design.md", () => {
    const config = serve([]);
    assert.deepEqual(config.source, { kind: "kube" });
    assert.equal(config.zone, "clusterset.local");
    assert.deepEqual(config.listen, { host: "::", port: 5353 });
    assert.deepEqual(config.http, { host: "::", port: 9153 });
    assert.equal(config.ttl, 5);
    assert.equal(config.lameduckSeconds, 5);
    assert.equal(config.watchIdleTimeoutSeconds, 120);
    assert.equal(config.logLevel, "info");
    assert.equal(config.maxUdpPayload, 1232);
    assert.equal(config.tcpIdleTimeoutSeconds, 10);
    assert.equal(config.tcpMaxConnections, 1024);
    assert.deepEqual(config.nsAddresses, []);
    assert.equal(config.clusterId, undefined);
    assert.equal(config.udpIo, "auto");
  });

  it("--udp-io picks the UDP I/O", () => {
    assert.equal(serve(["--udp-io", "batch"]).udpIo, "batch");
    assert.equal(serve([], { CLUSTERSET_DNS_UDP_IO: "dgram" }).udpIo, "dgram");
    rejects(["--udp-io", "fast"], {}, /^--udp-io: "fast" is not one of auto, batch, dgram$/);
  });

  it("parses every flag", () => {
    const config = serve([
      "--source",
      "file:examples/clusterset.yaml",
      "--kubeconfig",
      "/k",
      "--zone",
      "Example.Org.",
      "--listen",
      "[::1]:53",
      "--http",
      "off",
      "--ttl",
      "0",
      "--cluster-id",
      "east.eu",
      "--log-level",
      "debug",
      "--lameduck",
      "0",
      "--watch-idle-timeout",
      "30",
      "--ns-address",
      "10.0.0.53, fd00::53",
    ]);
    assert.deepEqual(config.source, { kind: "file", path: "examples/clusterset.yaml" });
    assert.equal(config.kubeconfig, "/k");
    assert.equal(config.zone, "example.org");
    assert.deepEqual(config.listen, { host: "::1", port: 53 });
    assert.equal(config.http, undefined);
    assert.equal(config.ttl, 0);
    assert.equal(config.clusterId, "east.eu");
    assert.equal(config.lameduckSeconds, 0);
    assert.equal(config.watchIdleTimeoutSeconds, 30);
    assert.deepEqual(config.nsAddresses, ["10.0.0.53", "fd00::53"]);
  });

  it("reads CLUSTERSET_DNS_* variables; flags win", () => {
    assert.equal(envName("watch-idle-timeout"), "CLUSTERSET_DNS_WATCH_IDLE_TIMEOUT");
    const env = {
      CLUSTERSET_DNS_TTL: "60",
      CLUSTERSET_DNS_LISTEN: "127.0.0.1:1053",
      CLUSTERSET_DNS_WATCH_IDLE_TIMEOUT: "9",
    };
    const fromEnv = serve([], env);
    assert.equal(fromEnv.ttl, 60);
    assert.deepEqual(fromEnv.listen, { host: "127.0.0.1", port: 1053 });
    assert.equal(fromEnv.watchIdleTimeoutSeconds, 9);
    assert.equal(serve(["--ttl", "7"], env).ttl, 7);
  });

  it("rejects bad values with one line naming the flag or variable", () => {
    rejects(["--ttl", "abc"], {}, /^--ttl: "abc" is not an integer in 0\.\.3600$/);
    rejects(["--ttl", "3601"], {}, /--ttl/);
    rejects(["--ttl", "-1"], {}, /--ttl/);
    rejects([], { CLUSTERSET_DNS_TTL: "x" }, /^CLUSTERSET_DNS_TTL: /);
    rejects(["--listen", "nonsense"], {}, /^--listen: /);
    rejects(["--listen", "1.2.3.4:99999"], {}, /^--listen: /);
    rejects(["--listen", "300.1.1.1:53"], {}, /^--listen: /);
    rejects(["--http", "x:y"], {}, /^--http: /);
    rejects(["--source", "etcd"], {}, /^--source: /);
    rejects(["--log-level", "loud"], {}, /^--log-level: /);
    rejects(["--cluster-id", "Bad_Id"], {}, /^--cluster-id: /);
    rejects(["--zone", "bad..zone"], {}, /^--zone: /);
    rejects(["--ns-address", "nope"], {}, /^--ns-address: /);
    rejects(["--lameduck", "1.5"], {}, /^--lameduck: /);
    rejects(["--no-such-flag"], {}, /no-such-flag/);
  });

  it("parses host:port forms", () => {
    const hp = (value: string) => parseHostPort({ value, from: "--listen" });
    assert.deepEqual(hp(":53"), { host: "::", port: 53 });
    assert.deepEqual(hp("0.0.0.0:53"), { host: "0.0.0.0", port: 53 });
    assert.deepEqual(hp("[::]:0"), { host: "::", port: 0 });
    assert.deepEqual(hp("localhost:5353"), { host: "127.0.0.1", port: 5353 });
  });

  it("operator features: --nsid, --allow-transfer, --rrl-rate", () => {
    const defaults = serve([]);
    assert.ok(defaults.nsid !== undefined && defaults.nsid.length > 0, "host name by default");
    assert.deepEqual(defaults.allowTransfer, []);
    assert.equal(defaults.rrlRate, 0);
    const set = serve([
      "--nsid",
      "pod-a",
      "--allow-transfer",
      "10.0.0.0/8, ::1",
      "--rrl-rate",
      "50",
    ]);
    assert.equal(set.nsid, "pod-a");
    assert.deepEqual(set.allowTransfer, [
      { address: "10.0.0.0", prefix: 8, family: "ipv4" },
      { address: "::1", prefix: 128, family: "ipv6" },
    ]);
    assert.equal(set.rrlRate, 50);
    assert.equal(serve(["--nsid", "off"]).nsid, undefined);
    rejects(["--allow-transfer", "10.0.0.0/40"], {}, /^--allow-transfer: "10\.0\.0\.0\/40"/);
    rejects(["--rrl-rate", "fast"], {}, /^--rrl-rate: /);
  });

  it("--help and --version are actions", () => {
    assert.deepEqual(parseCli(["--help"], {}), { action: "help" });
    assert.deepEqual(parseCli(["--version"], {}), { action: "version" });
  });
});
