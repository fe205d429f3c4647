// The file source: Kubernetes manifests in one file or one folder, read at start and re-read
// whenever the folder changes. A re-read either replaces everything in the store at once or,
// when any file is unreadable or does not parse, changes nothing: a half-saved file keeps
// serving the last good data instead of emptying the zone.

import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseObject } from "../zone/objects.js";
import {
  objectKey,
  type ClusterObject,
  type ObjectKind,
  type ValidationProblem,
} from "../zone/types.js";
import { parseManifestTextAsync } from "./manifest.js";
import type { ObjectSink } from "./store.js";

export interface FileSourceLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FileSourceOptions {
  /** A manifest file, or a folder whose .yaml/.yml/.json files are read (not recursively). */
  path: string;
  sink: ObjectSink;
  log: FileSourceLog;
  /** Quiet time after the last change before re-reading; default 200 ms. */
  debounceMs?: number;
}

export interface FileSource {
  readonly path: string;
  /** Re-read now. Never rejects: a failed re-read is logged and keeps the last good data. */
  reload(): Promise<void>;
  close(): void;
}

const KINDS: readonly ObjectKind[] = ["ServiceImport", "EndpointSlice", "ClusterProperty"];
const MANIFEST_FILE = /\.(?:ya?ml|json)$/i;
/** Duplicate warnings per load; past this one summary line (a generated file can repeat a lot). */
const MAX_DUPLICATE_WARNINGS = 10;
/** Errors quoted in one log line or exception; the count says how many there were. */
const MAX_ERRORS_QUOTED = 5;
const REWATCH_DELAY_MS = 1000;
/** Reading a large file gives the event loop back this often, so DNS answers keep flowing. */
const YIELD_EVERY_MS = 20;

interface ManifestFile {
  /** As shown in messages: the configured path, or the folder path joined with the file name. */
  name: string;
  text: string;
}

/** Everything one successful read produced, ready to hand to the sink in one go. */
interface Load {
  digest: string;
  fileCount: number;
  objects: Map<ObjectKind, ClusterObject[]>;
  problems: ValidationProblem[];
  ignored: number;
  duplicates: { key: string; files: [string, string] }[];
}

class LoadError extends Error {
  constructor(readonly errors: string[]) {
    super(summarize(errors));
  }
}

function summarize(errors: readonly string[]): string {
  const quoted = errors.slice(0, MAX_ERRORS_QUOTED).join("; ");
  const more = errors.length - MAX_ERRORS_QUOTED;
  return more > 0 ? `${quoted} (and ${more} more errors)` : quoted;
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: "does not exist",
  EACCES: "permission denied",
  EISDIR: "is a folder",
  ENOTDIR: "a part of the path is not a folder",
};

/** One line; file system errors without the path Node repeats in their message. */
function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && FS_ERRORS[code] !== undefined) return FS_ERRORS[code];
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? text;
}

interface Listing {
  isFolder: boolean;
  paths: string[];
}

/** The manifest files behind `path`, sorted; editor droppings and hidden files are left out. */
async function listFiles(path: string): Promise<Listing> {
  const info = await stat(path);
  if (info.isFile()) return { isFolder: false, paths: [path] };
  if (!info.isDirectory()) throw new LoadError([`${path}: not a file or a folder`]);
  const entries = await readdir(path, { withFileTypes: true });
  const paths = entries
    // Symbolic links count: a ConfigMap mounted as a folder is links into "..data/".
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .filter((name) => MANIFEST_FILE.test(name) && !name.startsWith("."))
    .sort()
    .map((name) => join(path, name));
  return { isFolder: true, paths };
}

async function readFiles(path: string): Promise<{ isFolder: boolean; files: ManifestFile[] }> {
  let listing: Listing;
  try {
    listing = await listFiles(path);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError([`${path}: ${describeError(error)}`]);
  }
  const files: ManifestFile[] = [];
  const errors: string[] = [];
  for (const file of listing.paths) {
    try {
      files.push({ name: file, text: await readFile(file, "utf8") });
    } catch (error) {
      errors.push(`${file}: ${describeError(error)}`);
    }
  }
  if (errors.length > 0) throw new LoadError(errors);
  return { isFolder: listing.isFolder, files };
}

/** Characters hashed between two yields to the event loop (a few ms of work). */
const HASH_SLICE = 1 << 20;

async function digestOf(files: readonly ManifestFile[]): Promise<string> {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file.name).update("\0");
    for (let at = 0; at < file.text.length;) {
      let end = Math.min(at + HASH_SLICE, file.text.length);
      // Never cut a surrogate pair: each half alone would hash as U+FFFD, hiding a change.
      const last = file.text.charCodeAt(end - 1);
      if (last >= 0xd800 && last <= 0xdbff && end < file.text.length) end++;
      hash.update(file.text.slice(at, end));
      at = end;
      await new Promise((resolve) => setImmediate(resolve));
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * Parse and validate every file; throws LoadError when any file does not parse. Each object
 * is validated as soon as it is parsed, so only validated objects are held, never the raw
 * trees of a whole file (at 10k services those are most of the memory a load needs).
 */
async function buildLoad(files: readonly ManifestFile[], digest: string): Promise<Load> {
  const errors: string[] = [];
  const byKey = new Map<string, { object: ClusterObject; file: string }>();
  const problems: ValidationProblem[] = [];
  const duplicates: Load["duplicates"] = [];
  let ignored = 0;
  for (const file of files) {
    const parsed = await parseManifestTextAsync(file.text, file.name, YIELD_EVERY_MS, parseObject);
    errors.push(...parsed.errors);
    // After a parse error the load is thrown away; the rest is only read to report all errors.
    if (errors.length > 0) continue;
    for (const result of parsed.objects) {
      if (result === undefined) {
        ignored++;
        continue;
      }
      problems.push(...result.problems);
      if (result.object === undefined) continue;
      const key = objectKey(result.object);
      const earlier = byKey.get(key);
      if (earlier !== undefined) {
        duplicates.push({ key, files: [earlier.file, file.name] });
        // Delete first so the survivor sits where the last copy was, as kubectl apply would leave it.
        byKey.delete(key);
      }
      byKey.set(key, { object: result.object, file: file.name });
    }
  }
  if (errors.length > 0) throw new LoadError(errors);

  const objects = new Map<ObjectKind, ClusterObject[]>(KINDS.map((kind) => [kind, []]));
  for (const { object } of byKey.values()) objects.get(object.kind)?.push(object);
  return { digest, fileCount: files.length, objects, problems, ignored, duplicates };
}

export async function startFileSource(options: FileSourceOptions): Promise<FileSource> {
  const source = new WatchedFileSource(options);
  try {
    await source.loadFirst();
  } catch (error) {
    source.close();
    const reason = error instanceof LoadError ? error.message : describeError(error);
    throw new Error(`file source: ${reason}`, { cause: error });
  }
  source.startWatching();
  return source;
}

class WatchedFileSource implements FileSource {
  readonly path: string;
  private readonly sink: ObjectSink;
  private readonly log: FileSourceLog;
  private readonly debounceMs: number;
  private watcher: FSWatcher | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private rewatchTimer: NodeJS.Timeout | undefined;
  /** Reloads run one after another; this is the tail of that chain. */
  private queue: Promise<void> = Promise.resolve();
  private lastGoodDigest: string | undefined;
  /** The digest of the last content that failed, so the same broken file is reported once. */
  private lastFailedDigest: string | undefined;
  private closed = false;
  /** Set by the first load; a path does not turn from a file into a folder while we run. */
  private pathIsFolder = false;

  constructor(options: FileSourceOptions) {
    // A relative path stays relative (as the user wrote it, for messages); cwd never changes.
    this.path = options.path;
    this.sink = options.sink;
    this.log = options.log;
    this.debounceMs = options.debounceMs ?? 200;
  }

  async loadFirst(): Promise<void> {
    const started = performance.now();
    const { isFolder, files } = await readFiles(this.path);
    this.pathIsFolder = isFolder;
    const load = await buildLoad(files, await digestOf(files));
    if (load.fileCount === 0)
      this.log.warn(
        { path: this.path },
        "file source: no .yaml, .yml or .json files in the folder",
      );
    this.apply(load, started, "file source loaded");
  }

  reload(): Promise<void> {
    const run = this.queue.then(() => this.reloadOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearTimeout(this.rewatchTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Watch the folder, also when the source is one file: editors save by writing a new file
   * and renaming it over the old one, and a mounted ConfigMap swaps a "..data" link, so the
   * events that matter are about other names in the folder. Every event leads to a debounced
   * re-read; the content digest makes a re-read of unchanged files a no-op.
   */
  startWatching(): void {
    if (this.closed) return;
    const folder = this.pathIsFolder ? this.path : dirname(this.path);
    try {
      const watcher = watch(folder, { persistent: false }, () => this.scheduleReload());
      watcher.on("error", (error) => {
        this.log.error(
          { path: this.path, err: describeError(error) },
          "file source: watching stopped; retrying",
        );
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
        this.rewatchLater();
      });
      this.watcher = watcher;
    } catch (error) {
      this.log.error(
        { path: this.path, folder, err: describeError(error) },
        "file source: cannot watch for changes; retrying",
      );
      this.rewatchLater();
    }
  }

  private rewatchLater(): void {
    if (this.closed || this.rewatchTimer !== undefined) return;
    this.rewatchTimer = setTimeout(() => {
      this.rewatchTimer = undefined;
      this.startWatching();
      // Changes made while nobody watched are picked up now.
      if (this.watcher !== undefined) this.scheduleReload();
    }, REWATCH_DELAY_MS);
    this.rewatchTimer.unref();
  }

  private scheduleReload(): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.reload();
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  private async reloadOnce(): Promise<void> {
    if (this.closed) return;
    const started = performance.now();
    try {
      const { files } = await readFiles(this.path);
      const digest = await digestOf(files);
      if (digest === this.lastGoodDigest) {
        this.lastFailedDigest = undefined;
        return;
      }
      if (digest === this.lastFailedDigest) return;
      try {
        const load = await buildLoad(files, digest);
        if (!this.closed) this.apply(load, started, "file source reloaded");
      } catch (error) {
        this.lastFailedDigest = digest;
        throw error;
      }
    } catch (error) {
      const errors = error instanceof LoadError ? error.errors : [describeError(error)];
      this.log.error(
        { path: this.path, errors: errors.slice(0, MAX_ERRORS_QUOTED), errorCount: errors.length },
        `file source: re-read failed, keeping the last good data: ${summarize(errors)}`,
      );
    }
  }

  /** Hand a load to the sink. Synchronous, so the resolver never sees a mix of two loads. */
  private apply(load: Load, started: number, message: string): void {
    const shown = load.duplicates.slice(0, MAX_DUPLICATE_WARNINGS);
    for (const { key, files } of shown)
      this.log.warn({ object: key, files }, "file source: duplicate object, the last one wins");
    if (load.duplicates.length > shown.length)
      this.log.warn(
        { count: load.duplicates.length - shown.length },
        "file source: more duplicate objects, the last of each wins",
      );

    const count = (kind: ObjectKind): number => load.objects.get(kind)?.length ?? 0;
    this.log.info(
      {
        path: this.path,
        files: load.fileCount,
        serviceImports: count("ServiceImport"),
        endpointSlices: count("EndpointSlice"),
        clusterProperties: count("ClusterProperty"),
        ignored: load.ignored,
        problems: load.problems.length,
        ms: Math.round(performance.now() - started),
      },
      message,
    );

    for (const problem of load.problems) this.sink.reject(problem);
    for (const kind of KINDS) this.sink.replace(kind, load.objects.get(kind) ?? []);
    this.sink.markSynced();
    this.lastGoodDigest = load.digest;
    this.lastFailedDigest = undefined;
  }
}
