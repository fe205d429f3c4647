// The explain, dump and lint subcommands: load the configured source once, run the pure report
// functions, and hand back the text to print and the exit status. The CLI does the printing.

import type { Config } from "../config.js";
import {
  buildSnapshot,
  localClusterIdOf,
  type Snapshot,
  type ZoneOptions,
} from "../zone/snapshot.js";
import { toZoneFile } from "../zone/zonefile.js";
import { explain } from "./explain.js";
import {
  InventoryLoadError,
  loadFileInventory,
  loadKubeInventory,
  type Inventory,
} from "./inventory.js";
import { lint } from "./lint.js";
import { renderExplain, renderLint } from "./render.js";

/** The source could not be loaded; the message is one line naming the cause. */
export class SourceLoadError extends Error {}

export interface CommandResult {
  stdout: string;
  exitCode: number;
}

export interface CommandOptions {
  /** Bound on the whole Kubernetes load (discovery and every LIST); default 30 s. */
  kubeTimeoutMs?: number;
}

const MAX_ERRORS_QUOTED = 3;

export async function loadInventory(
  config: Config,
  options: CommandOptions = {},
): Promise<Inventory> {
  try {
    if (config.source.kind === "file") return await loadFileInventory(config.source.path);
    // Loaded only for --source kube: @kubernetes/client-node is large and slow to import.
    const { loadKubeConfig } = await import("../source/kube-config.js");
    return await loadKubeInventory(loadKubeConfig(config.kubeconfig), {
      timeoutMs: options.kubeTimeoutMs ?? 30_000,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    if (error instanceof InventoryLoadError) throw new SourceLoadError(text);
    // loadKubeConfig: no configuration, or a kubeconfig that does not parse.
    throw new SourceLoadError(`kube: ${text.split("\n", 1)[0] ?? text}`);
  }
}

/** explain and dump describe what the server would serve; with broken manifests it serves nothing. */
function requireLoadable(inventory: Inventory): void {
  if (inventory.errors.length === 0) return;
  const quoted = inventory.errors.slice(0, MAX_ERRORS_QUOTED).join("; ");
  const more = inventory.errors.length - MAX_ERRORS_QUOTED;
  throw new SourceLoadError(
    `file source: ${quoted}${more > 0 ? ` (and ${more} more)` : ""}; the server would not load this (run "clusterset-dns lint")`,
  );
}

function zoneOptions(config: Config): ZoneOptions {
  return {
    zone: config.zone,
    ttl: config.ttl,
    nsAddresses: config.nsAddresses,
    localClusterId: config.clusterId,
    preferLocalSrv: config.preferLocalSrv,
  };
}

/** The snapshot the server would publish first for these objects. */
export function snapshotFor(inventory: Inventory, config: Config, now = Date.now()): Snapshot {
  return buildSnapshot(inventory.objects, zoneOptions(config), Math.floor(now / 1000) >>> 0, 1);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function explainInventory(
  inventory: Inventory,
  config: Config,
  name: string,
  type: number,
): CommandResult {
  const report = explain(
    {
      inventory,
      snapshot: snapshotFor(inventory, config),
      localClusterId: localClusterIdOf(inventory.objects, zoneOptions(config)),
      preferLocalSrv: config.preferLocalSrv,
    },
    name,
    type,
  );
  return { stdout: config.output === "json" ? json(report) : renderExplain(report), exitCode: 0 };
}

export function dumpInventory(inventory: Inventory, config: Config): CommandResult {
  const zone = toZoneFile(snapshotFor(inventory, config));
  return { stdout: config.output === "json" ? json({ zone }) : zone, exitCode: 0 };
}

export function lintInventory(inventory: Inventory, config: Config): CommandResult {
  const report = lint(inventory);
  return {
    stdout: config.output === "json" ? json(report) : renderLint(report),
    exitCode: report.failed ? 1 : 0,
  };
}

export async function runExplain(
  config: Config,
  name: string,
  type: number,
  options?: CommandOptions,
): Promise<CommandResult> {
  const inventory = await loadInventory(config, options);
  requireLoadable(inventory);
  return explainInventory(inventory, config, name, type);
}

export async function runDump(config: Config, options?: CommandOptions): Promise<CommandResult> {
  const inventory = await loadInventory(config, options);
  requireLoadable(inventory);
  return dumpInventory(inventory, config);
}

/** Manifest errors are findings here, not failures: lint exists to report them. */
export async function runLint(config: Config, options?: CommandOptions): Promise<CommandResult> {
  return lintInventory(await loadInventory(config, options), config);
}
