import assert from "node:assert/strict";
import path from "node:path";
import { lintInventory } from "../../../src/debug/commands.js";
import { loadFileInventory } from "../../../src/debug/inventory.js";
import { lint, type LintReport } from "../../../src/debug/lint.js";
import { renderLint } from "../../../src/debug/render.js";
import { ALL_REASONS, configFor, DEMO, MISTAKES, writeBrokenFolder } from "./helpers.js";

const json = configFor(["--output", "json"]);

describe("debug/lint", () => {
  it("reports every rejected or ignored part of the all-reasons fixture and exits 1", async () => {
    const inventory = await loadFileInventory(ALL_REASONS);
    const result = lintInventory(inventory, json);
    assert.equal(result.exitCode, 1);
    const report = JSON.parse(result.stdout) as LintReport;
    const byObject = (object: string) =>
      report.findings
        .filter((f) => f.object === object)
        .map((f) => `${f.severity} ${f.code} ${f.path}`);
    assert.deepEqual(byObject("EndpointSlice/lab/hl-west-1"), [
      "warning BAD_ADDRESS endpoints[2].addresses[1]",
      "warning BAD_ADDRESS endpoints[3].addresses[0]",
      "warning BAD_HOSTNAME endpoints[5].hostname",
      "warning BAD_ENDPOINT endpoints[6].addresses",
      "warning BAD_PORT_NAME ports[3].name",
      "warning BAD_PORT ports[4].port",
      "info NO_PORT_NUMBER ports[1]",
      "info UNNAMED_PORT ports",
      "info NOT_READY endpoints[1]",
    ]);
    assert.deepEqual(byObject("EndpointSlice/lab/hl-nocluster"), [
      'error NO_CLUSTER_LABEL metadata.labels["multicluster.kubernetes.io/source-cluster"]',
    ]);
    assert.deepEqual(byObject("ServiceImport/lab/dup"), ["warning DUPLICATE_OBJECT "]);
    assert.deepEqual(byObject("EndpointSlice/lab/ghost-east"), ["warning NO_SERVICE_IMPORT "]);
    assert.deepEqual(byObject("EndpointSlice/lab/vip-east"), ["info CLUSTERSETIP_SLICE_IGNORED "]);
    assert.deepEqual(byObject("ServiceImport/lab/idle"), ["warning NO_READY_ENDPOINTS "]);
    assert.deepEqual(byObject("ServiceImport/lab/weird"), ["error UNKNOWN_SERVICE_TYPE spec.type"]);
    assert.deepEqual(report.counts, { error: 10, warning: 28, info: 6 });
    assert.equal(report.objects, 23);
    assert.equal(report.ignored, 1);
  });

  it("the demo ClusterSet is clean (notes only) and exits 0", async () => {
    const result = lintInventory(await loadFileInventory(DEMO), configFor());
    assert.equal(result.exitCode, 0);
    assert.match(
      result.stdout,
      /examples\/clusterset\.yaml: 15 object\(s\) checked, .*0 error\(s\), 0 warning\(s\), 6 note\(s\) — clean\n$/,
    );
  });

  it("a manifest that does not parse is a MANIFEST_ERROR and exits 1", async () => {
    const broken = writeBrokenFolder();
    const report = lint(await loadFileInventory(broken.dir));
    broken.remove();
    assert.equal(report.failed, true);
    assert.deepEqual(
      report.findings.map((f) => f.code),
      ["MANIFEST_ERROR"],
    );
    assert.match(report.findings[0]?.message ?? "", /broken\.yaml: document 1, line 7/);
  });

  it("each common mistake fails lint with its code", async () => {
    const expected: Record<string, string[]> = {
      "missing-import.yaml": ["NO_SERVICE_IMPORT"],
      "missing-labels.yaml": ["NO_SERVICE_NAME_LABEL", "NO_CLUSTER_LABEL", "NO_READY_ENDPOINTS"],
      "not-ready.yaml": ["NOT_READY", "NOT_READY", "NO_READY_ENDPOINTS"],
      "bad-cluster-id.yaml": ["BAD_CLUSTER_ID", "NO_READY_ENDPOINTS"],
    };
    for (const [file, codes] of Object.entries(expected)) {
      const report = lint(await loadFileInventory(path.join(MISTAKES, file)));
      assert.deepEqual(
        report.findings.map((f) => f.code),
        codes,
        file,
      );
      assert.equal(report.failed, true, file);
    }
    // An unnamed port is legal; lint notes it but does not fail.
    const unnamed = lint(await loadFileInventory(path.join(MISTAKES, "unnamed-port.yaml")));
    assert.deepEqual(
      unnamed.findings.map((f) => `${f.severity} ${f.code}`),
      ["info UNNAMED_PORT"],
    );
    assert.equal(unnamed.failed, false);
  });

  it("text output: one line per finding and a summary", async () => {
    const text = renderLint(
      lint(await loadFileInventory(path.join(MISTAKES, "bad-cluster-id.yaml"))),
    );
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.match(
      lines[0] ?? "",
      /^ {2}error {3}BAD_CLUSTER_ID +EndpointSlice\/shop\/search-east-m4t6c metadata\.labels\["multicluster\.kubernetes\.io\/source-cluster"\]: "East_1" is not a valid cluster id; object skipped$/,
    );
    assert.match(lines[2] ?? "", /1 error\(s\), 1 warning\(s\), 0 note\(s\)$/);
  });
});
