// Shared by the debug tests: configs from CLI arguments, fixture paths, inventories.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseCli, type Config } from "../../../src/config.js";
import { buildInventory, type Inventory } from "../../../src/debug/inventory.js";

export const FIXTURES = path.resolve("test/fixtures/debug");
export const ALL_REASONS = path.join(FIXTURES, "all-reasons.yaml");
export const MISTAKES = path.join(FIXTURES, "mistakes");

/** A manifest that does not parse, written to a temp folder (a broken file in the repository would fail `prettier --check`). */
export const BROKEN_MANIFEST = [
  "apiVersion: multicluster.x-k8s.io/v1beta1",
  "kind: ServiceImport",
  "metadata:",
  "  name: broken",
  "  namespace: lab",
  "spec: [unclosed",
  "",
].join("\n");

export function writeBrokenFolder(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "clusterset-dns-broken-"));
  writeFileSync(path.join(dir, "broken.yaml"), BROKEN_MANIFEST);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
export const DEMO = path.resolve("examples/clusterset.yaml");

export function configFor(args: string[] = []): Config {
  const action = parseCli(["dump", "--source", "file:unused.yaml", ...args], {});
  if (action.action !== "dump") throw new Error("unexpected action");
  return action.config;
}

export function inventoryOf(objects: readonly Record<string, unknown>[]): Inventory {
  return buildInventory(
    "test",
    objects.map((raw) => ({ raw, origin: "test" })),
  );
}
