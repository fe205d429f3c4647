import assert from "node:assert/strict";
import { explain } from "../../../src/debug/explain.js";
import { loadFileInventory } from "../../../src/debug/inventory.js";
import { lint } from "../../../src/debug/lint.js";
import { classifyProblem, REASON_CODES } from "../../../src/debug/reasons.js";
import { RRType } from "../../../src/wire/types.js";
import { buildSnapshot } from "../../../src/zone/snapshot.js";
import { ALL_REASONS, writeBrokenFolder } from "./helpers.js";

describe("debug/reasons", () => {
  it("the fixtures produce every reason code (lint of all-reasons and broken, explain of a few names)", async () => {
    const all = await loadFileInventory(ALL_REASONS);
    const seen = new Set<string>();
    for (const f of lint(all).findings) seen.add(f.code);
    const broken = writeBrokenFolder();
    for (const f of lint(await loadFileInventory(broken.dir)).findings) seen.add(f.code);
    broken.remove();
    const snapshot = buildSnapshot(
      all.objects,
      { zone: "clusterset.local", ttl: 5, nsAddresses: [] },
      1,
      1,
    );
    const questions: [string, number][] = [
      ["hl.lab.svc.clusterset.local", RRType.SRV],
      ["example.org", RRType.A],
      ["hl.lab.clusterset.local", RRType.A],
      ["nothing.lab.svc.clusterset.local", RRType.A],
      ["weird.lab.svc.clusterset.local", RRType.A],
      ["v6only.lab.svc.clusterset.local", RRType.A],
      ["west.hl.lab.svc.clusterset.local", RRType.A],
      ["nobody.west.hl.lab.svc.clusterset.local", RRType.A],
      ["_nope._tcp.hl.lab.svc.clusterset.local", RRType.SRV],
    ];
    for (const [name, type] of questions)
      for (const f of explain(
        { inventory: all, snapshot, localClusterId: "east", preferLocalSrv: false },
        name,
        type,
      ).findings)
        seen.add(f.code);
    assert.deepEqual([...seen].sort(), Object.keys(REASON_CODES).sort());
  });

  it("classifies problems by path and wording", () => {
    const problem = (path: string, reason: string) => ({
      kind: "EndpointSlice",
      namespace: "n",
      name: "s",
      path,
      reason,
      objectSkipped: false,
    });
    assert.equal(classifyProblem(problem("endpoints[0].addresses[3]", "x")), "BAD_ADDRESS");
    assert.equal(
      classifyProblem(problem("endpoints", "5 endpoints beyond the limit of 1000 skipped")),
      "OVER_LIMIT",
    );
    assert.equal(
      classifyProblem(problem("spec.ports[1].port", "port number missing; port skipped")),
      "NO_PORT_NUMBER",
    );
    assert.equal(
      classifyProblem(problem("spec.ports[1].protocol", "unknown protocol")),
      "BAD_PORT",
    );
    assert.equal(classifyProblem(problem("status.clusters[0].cluster", "x")), "BAD_CLUSTER_ID");
    assert.equal(
      classifyProblem(problem("spec.value", '"A_B" is not a valid cluster id')),
      "BAD_CLUSTER_ID",
    );
    assert.equal(classifyProblem(problem("spec", "not an object")), "INVALID");
  });
});
