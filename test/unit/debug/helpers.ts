// Shared by the debug tests: configs from CLI arguments, fixture paths, inventories.

import path from "node:path";
import { parseCli, type Config } from "../../../src/config.js";
import { buildInventory, type Inventory } from "../../../src/debug/inventory.js";

export const FIXTURES = path.resolve("test/fixtures/debug");
export const ALL_REASONS = path.join(FIXTURES, "all-reasons.yaml");
export const MISTAKES = path.join(FIXTURES, "mistakes");
export const BROKEN = path.join(FIXTURES, "broken");
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
