// Every object a source holds, valid or not, with what validation made of it: the input of
// `explain` and `lint`. The server itself keeps only validated objects; debugging needs the
// rejected ones too, and the raw JSON where it can have it (slice ports without numbers and
// repeated addresses are dropped by validation without a problem, so only the raw shows them).
//
// Three ways to fill one: manifests on disk (as the file source reads them), a one-shot LIST of
// the Kubernetes API (as the kube source's first sync does), or a running server's store plus
// the problems it has seen (no raw JSON there).

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ObjectSet } from "../source/store.js";
import { parseManifestText } from "../source/manifest.js";
import { getJson, statusCodeOf } from "../source/kube-http.js";
import {
  parseClusterProperty,
  parseEndpointSlice,
  parseObject,
  parseServiceImport,
  SERVICE_NAME_LABEL,
  SOURCE_CLUSTER_LABEL,
} from "../zone/objects.js";
import {
  objectKey,
  type ClusterObject,
  type ClusterProperty,
  type EndpointSlice,
  type ParseResult,
  type ServiceImport,
  type ValidationProblem,
} from "../zone/types.js";

export interface InventoryEntry {
  kind: string;
  /** As the raw object (or the problem) names it; may be invalid when the object was skipped. */
  namespace: string;
  name: string;
  /** Where it came from: a file name, "kube", or "store" for a running server. */
  origin: string;
  /** The raw JSON; undefined when built from a running server's store. */
  raw: unknown;
  /** The validated object; undefined when validation skipped the whole object. */
  object: ClusterObject | undefined;
  problems: ValidationProblem[];
  /** Origin of a later object with the same identity that replaced this one (last wins). */
  supersededBy: string | undefined;
}

export interface Inventory {
  /** "file:<path>", "kube" or "store". */
  source: string;
  entries: InventoryEntry[];
  /** Manifest errors (file source): with any, the server would not load the files at all. */
  errors: string[];
  /** The validated objects the server's store would hold. */
  objects: ObjectSet;
  /** Objects of kinds we do not read (Services, Deployments, ...). */
  ignored: number;
}

/** The source cannot be read at all (no such path, no apiserver); one line naming the cause. */
export class InventoryLoadError extends Error {}

export interface RawInput {
  raw: unknown;
  origin: string;
  /** The parser chosen by the caller (a LIST's items lack kind); default by the object's kind. */
  parse?: (raw: unknown) => ParseResult<ClusterObject>;
}

/** Build an inventory from raw objects in source order; later duplicates win, as in the store. */
export function buildInventory(
  source: string,
  inputs: readonly RawInput[],
  errors: string[] = [],
): Inventory {
  const entries: InventoryEntry[] = [];
  const live = new Map<string, InventoryEntry>();
  let ignored = 0;
  for (const input of inputs) {
    const result = input.parse ? input.parse(input.raw) : parseObject(input.raw);
    if (result === undefined) {
      ignored++;
      continue;
    }
    const entry = entryFor(input, result);
    entries.push(entry);
    if (result.object === undefined) continue;
    const key = objectKey(result.object);
    const earlier = live.get(key);
    if (earlier !== undefined) {
      earlier.supersededBy = input.origin;
      live.delete(key);
    }
    live.set(key, entry);
  }
  return { source, entries, errors, objects: objectSetOf(live.values()), ignored };
}

function entryFor(input: RawInput, result: ParseResult<ClusterObject>): InventoryEntry {
  const identity =
    result.object ?? result.problems[0] ?? ({ kind: "?", namespace: "", name: "" } as const);
  return {
    kind: identity.kind,
    namespace: identity.namespace,
    name: identity.name,
    origin: input.origin,
    raw: input.raw,
    object: result.object,
    problems: result.problems,
    supersededBy: undefined,
  };
}

function objectSetOf(entries: Iterable<InventoryEntry>): ObjectSet {
  const imports = new Map<string, ServiceImport>();
  const slices = new Map<string, EndpointSlice>();
  const clusterProperties = new Map<string, ClusterProperty>();
  for (const { object } of entries) {
    if (object === undefined) continue;
    const key = objectKey(object);
    if (object.kind === "ServiceImport") imports.set(key, object);
    else if (object.kind === "EndpointSlice") slices.set(key, object);
    else clusterProperties.set(key, object);
  }
  return { imports, slices, clusterProperties };
}

/**
 * A running server's view: its store's validated objects and the problems it has seen lately.
 * A problem that skipped a whole object is dropped when the store now holds that object (the
 * object was fixed since).
 */
export function inventoryFromStore(
  objects: ObjectSet,
  problems: readonly ValidationProblem[],
): Inventory {
  const entries: InventoryEntry[] = [];
  const byKey = new Map<string, InventoryEntry>();
  const add = (object: ClusterObject): void => {
    const entry: InventoryEntry = {
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      origin: "store",
      raw: undefined,
      object,
      problems: [],
      supersededBy: undefined,
    };
    entries.push(entry);
    byKey.set(objectKey(object), entry);
  };
  for (const object of objects.imports.values()) add(object);
  for (const object of objects.slices.values()) add(object);
  for (const object of objects.clusterProperties.values()) add(object);
  for (const problem of problems) {
    const key = `${problem.kind}/${problem.namespace}/${problem.name}`;
    const known = byKey.get(key);
    if (known?.object !== undefined) {
      if (!problem.objectSkipped) known.problems.push(problem);
      continue;
    }
    if (known !== undefined) {
      known.problems.push(problem);
      continue;
    }
    const entry: InventoryEntry = {
      kind: problem.kind,
      namespace: problem.namespace,
      name: problem.name,
      origin: "store",
      raw: undefined,
      object: undefined,
      problems: [problem],
      supersededBy: undefined,
    };
    entries.push(entry);
    byKey.set(key, entry);
  }
  return { source: "store", entries, errors: [], objects, ignored: 0 };
}

// ---------------------------------------------------------------------------------------
// Files

const MANIFEST_FILE = /\.(?:ya?ml|json)$/i;

/** The manifest files behind `path`, chosen like the file source does (sorted, not hidden). */
async function manifestFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new Error("not a file or a folder");
  const entries = await readdir(path, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .filter((name) => MANIFEST_FILE.test(name) && !name.startsWith("."))
    .sort()
    .map((name) => join(path, name));
}

/**
 * Manifests as the file source reads them. Unreadable or unparsable files land in `errors`; a
 * path that is neither a file nor a folder is an InventoryLoadError.
 */
export async function loadFileInventory(path: string): Promise<Inventory> {
  const source = `file:${path}`;
  let files: string[];
  try {
    files = await manifestFiles(path);
  } catch (error) {
    throw new InventoryLoadError(`file source: ${path}: ${fsMessage(error)}`);
  }
  const inputs: RawInput[] = [];
  const errors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      errors.push(`${file}: ${fsMessage(error)}`);
      continue;
    }
    const parsed = parseManifestText(text, file);
    errors.push(...parsed.errors);
    for (const raw of parsed.objects) inputs.push({ raw, origin: file });
  }
  return buildInventory(source, inputs, errors);
}

function fsMessage(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "does not exist";
  if (code === "EACCES") return "permission denied";
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? text;
}

// ---------------------------------------------------------------------------------------
// Kubernetes

export interface KubeInventoryOptions {
  /** The whole load (discovery and every LIST page) must finish within this; default 30 000. */
  timeoutMs?: number;
  pageSize?: number;
}

const SERVICE_IMPORT_GROUP = "multicluster.x-k8s.io";
const SERVICE_IMPORT_VERSIONS = ["v1beta1", "v1alpha1"];
const MAX_PAGES = 10_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function listOf(value: unknown, field: string): unknown[] {
  const items = isRecord(value) ? value[field] : undefined;
  return Array.isArray(items) ? (items as unknown[]) : [];
}

/**
 * One LIST of each resource, like the kube source's first sync, keeping the raw items.
 * EndpointSlices are listed twice: with the service-name label (what the server watches) and
 * with the source-cluster label, so that an imported slice that lost its service-name label
 * (which the server never even sees) can be explained too.
 */
export async function loadKubeInventory(
  kubeConfig: KubeConfig,
  options: KubeInventoryOptions = {},
): Promise<Inventory> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pageSize = String(options.pageSize ?? 500);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const get = (path: string, query: Record<string, string> = {}): Promise<unknown> =>
    getJson(kubeConfig, path, query, { signal: controller.signal, timeoutMs });
  const optional = async (path: string): Promise<unknown> => {
    try {
      return await get(path);
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw error;
    }
  };
  const list = async (path: string, labelSelector?: string): Promise<unknown[]> => {
    const items: unknown[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query: Record<string, string> = { limit: pageSize };
      if (labelSelector !== undefined) query.labelSelector = labelSelector;
      if (token !== undefined) query.continue = token;
      const body = await get(path, query);
      items.push(...listOf(body, "items"));
      const metadata = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
      token =
        typeof metadata.continue === "string" && metadata.continue !== ""
          ? metadata.continue
          : undefined;
      if (token === undefined) break;
    }
    return items;
  };

  try {
    let importPath: string | undefined;
    const group = await optional(`/apis/${SERVICE_IMPORT_GROUP}`);
    const served = new Set(
      listOf(group, "versions").map((v) => (isRecord(v) ? v.version : undefined)),
    );
    for (const version of SERVICE_IMPORT_VERSIONS) {
      if (served.has(version)) {
        importPath = `/apis/${SERVICE_IMPORT_GROUP}/${version}/serviceimports`;
        break;
      }
    }
    if (importPath === undefined)
      throw new InventoryLoadError(
        `kube: the ServiceImport API (${SERVICE_IMPORT_GROUP}) is not served (CRD not installed?)`,
      );
    const slicesPath = "/apis/discovery.k8s.io/v1/endpointslices";
    const [imports, labelled, clusterLabelled, properties] = await Promise.all([
      list(importPath),
      list(slicesPath, SERVICE_NAME_LABEL),
      list(slicesPath, SOURCE_CLUSTER_LABEL),
      (async () =>
        (await optional("/apis/about.k8s.io/v1beta1")) === undefined
          ? []
          : list("/apis/about.k8s.io/v1beta1/clusterproperties"))(),
    ]);
    const seen = new Set<string>();
    const slices = [...labelled, ...clusterLabelled].filter((raw) => {
      const metadata = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : {};
      const key = `${String(metadata.namespace)}/${String(metadata.name)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const inputs: RawInput[] = [
      ...imports.map((raw) => ({ raw, origin: "kube", parse: parseServiceImport })),
      ...slices.map((raw) => ({ raw, origin: "kube", parse: parseEndpointSlice })),
      ...properties.map((raw) => ({ raw, origin: "kube", parse: parseClusterProperty })),
    ];
    return buildInventory("kube", inputs);
  } catch (error) {
    if (error instanceof InventoryLoadError) throw error;
    if (controller.signal.aborted)
      throw new InventoryLoadError(
        `kube: no complete LIST from the apiserver within ${timeoutMs / 1000} s`,
      );
    const text = error instanceof Error ? error.message : String(error);
    throw new InventoryLoadError(`kube: ${text.split("\n", 1)[0] ?? text}`);
  } finally {
    clearTimeout(timer);
  }
}
