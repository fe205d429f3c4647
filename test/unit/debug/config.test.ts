import assert from "node:assert/strict";
import { ConfigError, helpText, parseCli } from "../../../src/config.js";
import { RRType } from "../../../src/wire/types.js";

function rejects(argv: string[], pattern: RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => parseCli(argv, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes("\n"));
      return true;
    },
  );
}

describe("debug/config: subcommands and debug flags", () => {
  it("serve is the default and can be named; new flags default off / text", () => {
    for (const argv of [[], ["serve"]]) {
      const action = parseCli(argv, {});
      assert.equal(action.action, "serve");
      if (action.action !== "serve") return;
      assert.equal(action.config.debug, false);
      assert.equal(action.config.preferLocalSrv, false);
      assert.equal(action.config.output, "text");
    }
  });

  it("explain takes a name and an optional type; options may follow", () => {
    const action = parseCli(
      [
        "explain",
        "web.demo.svc.clusterset.local",
        "srv",
        "--output",
        "json",
        "--cluster-id",
        "east",
      ],
      {},
    );
    assert.equal(action.action, "explain");
    if (action.action !== "explain") return;
    assert.equal(action.name, "web.demo.svc.clusterset.local");
    assert.equal(action.type, RRType.SRV);
    assert.equal(action.config.output, "json");
    assert.equal(action.config.clusterId, "east");
    const defaults = parseCli(["explain", "x.y.svc.clusterset.local"], {});
    assert.equal(defaults.action === "explain" && defaults.type, RRType.A);
    const numeric = parseCli(["explain", "x", "TYPE666"], {});
    assert.equal(numeric.action === "explain" && numeric.type, 666);
  });

  it("dump and lint; booleans from flags and environment", () => {
    assert.equal(parseCli(["dump"], {}).action, "dump");
    const lint = parseCli(["lint", "--debug", "--prefer-local-srv"], {});
    assert.equal(lint.action, "lint");
    if (lint.action !== "lint") return;
    assert.equal(lint.config.debug, true);
    assert.equal(lint.config.preferLocalSrv, true);
    const fromEnv = parseCli([], {
      CLUSTERSET_DNS_DEBUG: "true",
      CLUSTERSET_DNS_PREFER_LOCAL_SRV: "0",
      CLUSTERSET_DNS_OUTPUT: "json",
    });
    assert.ok(
      fromEnv.action === "serve" &&
        fromEnv.config.debug &&
        !fromEnv.config.preferLocalSrv &&
        fromEnv.config.output === "json",
    );
  });

  it("bad usage is one line", () => {
    rejects(
      ["frobnicate"],
      /^unknown command "frobnicate" \(commands: serve, explain, dump, lint; see --help\)$/,
    );
    rejects(
      ["explain"],
      /^explain: missing <name>; usage: clusterset-dns explain <name> \[type\] \[options\]$/,
    );
    rejects(["explain", "a", "A", "b"], /^explain: unexpected argument "b"/);
    rejects(["explain", "a", "BOGUS"], /^explain: "BOGUS" is not a record type/);
    rejects(["dump", "extra"], /^dump: unexpected argument "extra"/);
    rejects(["lint", "--output", "yaml"], /^--output: "yaml" is not text or json$/);
    rejects([], /^CLUSTERSET_DNS_DEBUG: "maybe" is not true or false$/, {
      CLUSTERSET_DNS_DEBUG: "maybe",
    });
  });

  it("--help lists the commands and the new flags", () => {
    const text = helpText("0.0.0");
    for (const word of [
      "explain <name> [type]",
      "dump",
      "lint",
      "--debug",
      "--output text|json",
      "--prefer-local-srv",
    ])
      assert.ok(text.includes(word), word);
  });
});
