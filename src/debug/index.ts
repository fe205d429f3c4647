// Lookups over an inventory by the keys explain and lint ask with: a ServiceImport by namespace
// and name, the EndpointSlices of a service, and the objects set aside in a namespace.

import { SERVICE_NAME_LABEL } from "../zone/objects.js";
import type { EndpointSlice, ServiceImport } from "../zone/types.js";
import type { Inventory, InventoryEntry } from "./inventory.js";

export interface ServiceEntries {
  /** The import the server uses (valid, not replaced by a later copy). */
  valid: InventoryEntry | undefined;
  /** Copies that validation skipped, or earlier copies a later one replaced. */
  others: InventoryEntry[];
}

export interface InventoryIndex {
  inventory: Inventory;
  imports: Map<string, ServiceEntries>;
  /** Valid, current slices by "namespace/service-name". */
  slices: Map<string, InventoryEntry[]>;
  /** Entries the server does not use (skipped by validation, or replaced by a later copy), by namespace. */
  setAsideByNamespace: Map<string, InventoryEntry[]>;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function indexInventory(inventory: Inventory): InventoryIndex {
  const imports = new Map<string, ServiceEntries>();
  const slices = new Map<string, InventoryEntry[]>();
  const setAsideByNamespace = new Map<string, InventoryEntry[]>();
  for (const entry of inventory.entries) {
    if (entry.object === undefined || entry.supersededBy !== undefined)
      push(setAsideByNamespace, entry.namespace, entry);
    if (entry.kind === "ServiceImport") {
      const key = `${entry.namespace}/${entry.name}`;
      let found = imports.get(key);
      if (!found) imports.set(key, (found = { valid: undefined, others: [] }));
      if (entry.object !== undefined && entry.supersededBy === undefined) found.valid = entry;
      else found.others.push(entry);
    } else if (entry.object?.kind === "EndpointSlice" && entry.supersededBy === undefined) {
      push(slices, `${entry.object.namespace}/${entry.object.serviceName}`, entry);
    }
  }
  return { inventory, imports, slices, setAsideByNamespace };
}

export function importOf(entry: InventoryEntry | undefined): ServiceImport | undefined {
  return entry?.object?.kind === "ServiceImport" ? entry.object : undefined;
}

export function sliceOf(entry: InventoryEntry): EndpointSlice | undefined {
  return entry.object?.kind === "EndpointSlice" ? entry.object : undefined;
}

function rawLabels(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null) return {};
  const metadata = (raw as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null) return {};
  const labels = (metadata as { labels?: unknown }).labels;
  return typeof labels === "object" && labels !== null ? (labels as Record<string, unknown>) : {};
}

/**
 * Does a rejected object look like part of service `name`? Its import by name; a slice by its
 * service-name label, the Kubernetes kubernetes.io/service-name label, or (without the raw
 * object) the `<service>-` prefix generated slice names carry.
 */
export function relatesTo(entry: InventoryEntry, name: string): boolean {
  if (entry.name === name) return true;
  if (entry.kind !== "EndpointSlice") return false;
  const labels = rawLabels(entry.raw);
  if (labels[SERVICE_NAME_LABEL] === name || labels["kubernetes.io/service-name"] === name)
    return true;
  return entry.name.startsWith(`${name}-`);
}

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}
