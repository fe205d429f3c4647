import assert from "node:assert/strict";
import { dumpInventory, snapshotFor } from "../../../src/debug/commands.js";
import { loadFileInventory, type Inventory } from "../../../src/debug/inventory.js";
import { ALL_REASONS, configFor, DEMO } from "./helpers.js";

const TYPES = new Set(["SOA", "NS", "A", "AAAA", "TXT", "SRV"]);

interface Line {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

/** Parse a zone file the way a master-file reader would, failing on any malformed line. */
function parseZone(text: string): { origin: string; ttl: number; records: Line[] } {
  let origin = "";
  let ttl = -1;
  const records: Line[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(";")) continue;
    const directive = /^\$(ORIGIN|TTL) (\S+)$/.exec(line);
    if (directive) {
      if (directive[1] === "ORIGIN") origin = directive[2] ?? "";
      else ttl = Number(directive[2]);
      continue;
    }
    const fields = line.split("\t");
    assert.equal(fields.length, 5, line);
    const [name, ttlText, klass, type, data] = fields as [string, string, string, string, string];
    assert.match(name, /^([a-z0-9_-]+\.)+$/, line);
    assert.match(ttlText, /^\d+$/, line);
    assert.equal(klass, "IN", line);
    assert.ok(TYPES.has(type), line);
    if (type === "A") assert.match(data, /^\d+\.\d+\.\d+\.\d+$/, line);
    if (type === "AAAA") assert.match(data, /^[0-9a-f:]+$/, line);
    if (type === "SRV") assert.match(data, /^\d+ \d+ \d+ ([a-z0-9_-]+\.)+$/, line);
    if (type === "SOA") assert.match(data, /^\S+\. \S+\. \d+ 7200 1800 86400 \d+$/, line);
    records.push({ name, ttl: Number(ttlText), type, data });
  }
  return { origin, ttl, records };
}

describe("debug/dump", () => {
  for (const [label, file] of [
    ["demo", DEMO],
    ["all-reasons", ALL_REASONS],
  ] as const) {
    it(`${label}: a well-formed zone file, SOA first, every name of the snapshot present`, async () => {
      const inventory: Inventory = await loadFileInventory(file);
      const config = configFor(["--ttl", "7"]);
      const { stdout, exitCode } = dumpInventory(inventory, config);
      assert.equal(exitCode, 0);
      const zone = parseZone(stdout);
      assert.equal(zone.origin, "clusterset.local.");
      assert.equal(zone.ttl, 7);
      assert.equal(zone.records[0]?.type, "SOA");
      assert.equal(zone.records.filter((r) => r.type === "SOA").length, 1);
      const owners = new Set(zone.records.map((r) => r.name));
      const snapshot = snapshotFor(inventory, config);
      let checked = 0;
      for (const [name, node] of snapshot.nodes) {
        const absolute = `${name}.`;
        // Empty non-terminals have no lines; a reader derives them from the names below, or
        // (ns.dns.Z without --ns-address) from the NS record that names them.
        if (node.rrsets.size === 0)
          assert.ok(
            [...owners].some((owner) => owner.endsWith(`.${absolute}`)) ||
              zone.records.some((r) => r.type === "NS" && r.data.endsWith(absolute)),
            absolute,
          );
        else assert.ok(owners.has(absolute), absolute);
        checked++;
      }
      assert.ok(checked > 10);
    });
  }

  it("--output json wraps the same text", async () => {
    const inventory = await loadFileInventory(DEMO);
    const text = dumpInventory(inventory, configFor()).stdout;
    const json = JSON.parse(dumpInventory(inventory, configFor(["--output", "json"])).stdout) as {
      zone: string;
    };
    // The serial is the current second; compare without the header and SOA.
    const body = (zone: string) =>
      zone.split("\n").filter((l) => !l.includes("SOA") && !l.startsWith(";"));
    assert.deepEqual(body(json.zone), body(text));
  });
});
