// The file source: Kubernetes manifests in one file or one folder, read at start and re-read
// whenever the folder changes. A re-read either replaces everything in the store at once or,
// when any file is unreadable or does not parse, changes nothing: a half-saved file keeps
// serving the last good data instead of emptying the zone.
//
// A re-read costs what changed: a file whose size, times and inode are as the last good load
// saw them (and old enough for that to be conclusive) is not read again, a file with the same
// bytes is not parsed again, and in a changed file only the documents and List items whose text
// changed are parsed and validated (unit-memo.ts); the rest are the same objects as before.

import { createHash } from "node:crypto";
import { watch, type BigIntStats, type FSWatcher } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseObject } from "../zone/objects.js";
import {
  objectKey,
  type ClusterObject,
  type ObjectKind,
  type ParseResult,
  type ValidationProblem,
} from "../zone/types.js";
import { parseManifestTextAsync } from "./manifest.js";
import type { ObjectSink } from "./store.js";
import { UnitGeneration, type RememberedUnits } from "./unit-memo.js";

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
  /**
   * How long ago a file must have changed for its size, times and inode alone to show later
   * that it did not change since; default 2 s, more than the coarsest file system timestamps
   * (a write in the same tick as our look could otherwise go unseen). Tests shorten it.
   */
  settleMs?: number;
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
/**
 * Wait after a rename onto an input's name: such a file is complete the moment it appears
 * (see onFolderEvent), so this only gathers the other events of the same save.
 */
const REPLACED_DELAY_MS = 10;
/** After settleMs, a little more, so that a file is surely settled when looked at again. */
const SETTLE_MARGIN_MS = 100;
/** Files looked at (stat, and read if changed) at the same time. */
const READ_CONCURRENCY = 16;
/** A kubelet-mounted ConfigMap updates by swapping this link to a new folder of files. */
const CONFIGMAP_DATA_LINK = "..data";
/** Reading a large file gives the event loop back this often, so DNS answers keep flowing. */
const YIELD_EVERY_MS = 20;

/** What validating one object gave; undefined for a kind we do not serve. */
type Converted = ParseResult<ClusterObject> | undefined;

/** What the file system says about a file's content without reading it. */
interface Stamp {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

interface FileIdentity {
  /** As shown in messages: the configured path, or the folder path joined with the file name. */
  name: string;
  stamp: Stamp;
  /** The stamp alone may show the content unchanged next time (see `settleMs`). */
  settled: boolean;
  /** SHA-256 of the bytes. */
  digest: string;
}

/** A file as a good load parsed it. */
interface ParsedFile extends FileIdentity {
  /** One entry per object, in file order. */
  results: readonly Converted[];
  /**
   * objectKey of each result's object (undefined where there is none), made once per parse
   * rather than by every load for all files' objects; equal keys show an edit kept the shape.
   */
  keys: readonly (string | undefined)[];
  /** What each document or List item converted to, for parsing the next version. */
  units: RememberedUnits<Converted>;
}

/** A file whose bytes differ from what the last good load parsed under its name. */
interface ChangedFile extends FileIdentity {
  bytes: Buffer;
  /** The units of the last good version, if there was one. */
  previousUnits: RememberedUnits<Converted> | undefined;
}

type FileVersion = ParsedFile | ChangedFile;

function isParsed(file: FileVersion): file is ParsedFile {
  return "results" in file;
}

/** Everything one successful read produced, ready to hand to the sink in one go. */
interface Load {
  digest: string;
  files: ParsedFile[];
  /** Files whose bytes were read (the others were known by their stamp). */
  filesRead: number;
  /** Documents and List items parsed (the others were known by their text). */
  unitsParsed: number;
  objects: Map<ObjectKind, ClusterObject[]>;
  problems: ValidationProblem[];
  ignored: number;
  duplicates: { key: string; files: [string, string] }[];
  /**
   * Every object with a key, in file order, a duplicate's earlier copies blanked out: what
   * `objects` was cut from. files[i]'s objects start at keptStart[i]. The next load of files
   * with the same keys reuses it (see sameShapeLoad).
   */
  kept: (ClusterObject | undefined)[];
  keptStart: number[];
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

/** A name a folder source reads: a manifest extension, not hidden (editor droppings are). */
function isManifestFileName(name: string): boolean {
  return MANIFEST_FILE.test(name) && !name.startsWith(".");
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
    .filter(isManifestFileName)
    .sort()
    .map((name) => join(path, name));
  return { isFolder: true, paths };
}

interface FileRead {
  file: FileVersion;
  /** False when the stamp showed the file unchanged and its bytes were not read. */
  read: boolean;
}

function stampOf(info: BigIntStats): Stamp {
  const { dev, ino, size, mtimeNs, ctimeNs } = info;
  return { dev, ino, size, mtimeNs, ctimeNs };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** Bytes hashed between two yields to the event loop (a few ms of work). */
const HASH_SLICE = 8 << 20;

async function digestOf(bytes: Uint8Array): Promise<string> {
  const hash = createHash("sha256");
  for (let at = 0; at < bytes.length; at += HASH_SLICE) {
    hash.update(bytes.subarray(at, at + HASH_SLICE));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return hash.digest("base64");
}

/**
 * One file as it is now, compared with `known` (what the last good load parsed under its
 * name): known by its stamp, known by its bytes, or changed.
 */
async function readManifestFile(
  name: string,
  known: ParsedFile | undefined,
  settleMs: number,
): Promise<FileRead> {
  const lookedAt = Date.now();
  const info = await stat(name, { bigint: true });
  const stamp = stampOf(info);
  if (known?.settled === true && sameStamp(known.stamp, stamp)) return { file: known, read: false };
  // Stamped before reading: a write that lands while we read changes the stamp we keep.
  const lastChange = Number(info.mtimeMs > info.ctimeMs ? info.mtimeMs : info.ctimeMs);
  const settled = lookedAt - lastChange > settleMs;
  const bytes = await readFile(name);
  const digest = await digestOf(bytes);
  if (known?.digest === digest) return { file: { ...known, stamp, settled }, read: true };
  return {
    file: { name, stamp, settled, digest, bytes, previousUnits: known?.units },
    read: true,
  };
}

/** Every manifest file behind `path`, read where `known` cannot vouch for it; throws LoadError. */
async function readFiles(
  path: string,
  known: ReadonlyMap<string, ParsedFile>,
  settleMs: number,
): Promise<{ isFolder: boolean; files: FileVersion[]; filesRead: number }> {
  let listing: Listing;
  try {
    listing = await listFiles(path);
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError([`${path}: ${describeError(error)}`]);
  }
  const files: FileVersion[] = [];
  const errors: string[] = [];
  let filesRead = 0;
  // A few at a time: a folder of 400 files looked at one by one took 20-40 ms of round trips
  // to the thread pool on every re-read, most of an edit's cost.
  for (let at = 0; at < listing.paths.length; at += READ_CONCURRENCY) {
    const names = listing.paths.slice(at, at + READ_CONCURRENCY);
    const reads = await Promise.allSettled(
      names.map((name) => readManifestFile(name, known.get(name), settleMs)),
    );
    reads.forEach((outcome, i) => {
      if (outcome.status === "rejected") {
        errors.push(`${names[i]}: ${describeError(outcome.reason)}`);
        return;
      }
      files.push(outcome.value.file);
      if (outcome.value.read) filesRead++;
    });
  }
  if (errors.length > 0) throw new LoadError(errors);
  return { isFolder: listing.isFolder, files, filesRead };
}

/** One digest for the whole input: names and contents of every file, in order. */
function digestOfAll(files: readonly FileIdentity[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(file.name).update("\0").update(file.digest).update("\0");
  return hash.digest("hex");
}

/**
 * Parse and validate every changed file, recalling what each unchanged document or List item
 * of it gave last time; throws LoadError when any file does not parse. Each object is
 * validated as soon as it is parsed, so only validated objects are held, never the raw trees
 * of a whole file (at 10k services those are most of the memory a load needs).
 */
async function parseFiles(
  files: readonly FileVersion[],
): Promise<{ files: ParsedFile[]; unitsParsed: number }> {
  const errors: string[] = [];
  const parsed: ParsedFile[] = [];
  let unitsParsed = 0;
  for (const file of files) {
    if (isParsed(file)) {
      parsed.push(file);
      continue;
    }
    const memo = new UnitGeneration<Converted>(file.previousUnits);
    const result = await parseManifestTextAsync(
      file.bytes.toString("utf8"),
      file.name,
      YIELD_EVERY_MS,
      parseObject,
      memo,
    );
    unitsParsed += memo.parsed;
    errors.push(...result.errors);
    // After a parse error the load is thrown away; the rest is only read to report all errors.
    if (errors.length > 0) continue;
    const { name, stamp, settled, digest } = file;
    parsed.push({
      name,
      stamp,
      settled,
      digest,
      results: result.objects,
      keys: result.objects.map((converted) =>
        converted?.object === undefined ? undefined : objectKey(converted.object),
      ),
      units: memo.units,
    });
  }
  if (errors.length > 0) throw new LoadError(errors);
  return { files: parsed, unitsParsed };
}

/**
 * Parse what `read` found changed, and gather all files into one load (from `previous`, the
 * last good load, where the keys allow); throws LoadError.
 */
async function parseLoad(
  read: { files: readonly FileVersion[]; filesRead: number },
  digest: string,
  previous?: Load,
): Promise<Load> {
  const { files, unitsParsed } = await parseFiles(read.files);
  const work = { filesRead: read.filesRead, unitsParsed };
  return (
    (previous && sameShapeLoad(files, digest, work, previous)) ?? buildLoad(files, digest, work)
  );
}

/** Everything the parsed files hold, the last of duplicate objects winning. */
function buildLoad(
  files: ParsedFile[],
  digest: string,
  work: { filesRead: number; unitsParsed: number },
): Load {
  // Objects in file order, each with the file it came from; a key's earlier copy is blanked
  // out, so the survivor sits where the last copy was, as kubectl apply would leave it.
  const kept: (ClusterObject | undefined)[] = [];
  const keptFrom: string[] = [];
  const keptStart: number[] = [];
  const indexOf = new Map<string, number>();
  const duplicates: Load["duplicates"] = [];
  for (const file of files) {
    keptStart.push(kept.length);
    const { results, keys } = file;
    for (let i = 0; i < results.length; i++) {
      const key = keys[i];
      if (key === undefined) continue;
      const earlier = indexOf.get(key);
      if (earlier !== undefined) {
        duplicates.push({ key, files: [keptFrom[earlier]!, file.name] });
        kept[earlier] = undefined;
      }
      indexOf.set(key, kept.length);
      kept.push(results[i]!.object);
      keptFrom.push(file.name);
    }
  }
  return loadOf(files, digest, work, { kept, keptStart, duplicates });
}

/**
 * The load of `files` made from `previous` without keying every object again, when each file
 * holds objects under the same keys in the same order as in `previous` (an edit that changed
 * what objects say, not which objects there are: the usual edit). Then the duplicates are
 * the same and every object sits where its predecessor sat. Undefined when the keys differ.
 * At 40k objects this saves a 40k-entry Map per reload (tens of ms here).
 */
function sameShapeLoad(
  files: ParsedFile[],
  digest: string,
  work: { filesRead: number; unitsParsed: number },
  previous: Load,
): Load | undefined {
  if (files.length !== previous.files.length) return undefined;
  const changed: number[] = [];
  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const before = previous.files[f]!;
    if (file.name !== before.name) return undefined;
    if (file.keys === before.keys) continue;
    if (!sameKeys(file.keys, before.keys)) return undefined;
    changed.push(f);
  }
  const kept = previous.kept.slice();
  for (const f of changed) {
    const { results, keys } = files[f]!;
    let at = previous.keptStart[f]!;
    for (let i = 0; i < results.length; i++) {
      if (keys[i] === undefined) continue;
      // A blanked-out earlier copy of a duplicate stays blanked out.
      if (kept[at] !== undefined) kept[at] = results[i]!.object;
      at++;
    }
  }
  const { duplicates, keptStart } = previous;
  return loadOf(files, digest, work, { kept, keptStart, duplicates });
}

function sameKeys(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The load of `files` whose kept objects are `layout.kept`. */
function loadOf(
  files: ParsedFile[],
  digest: string,
  work: { filesRead: number; unitsParsed: number },
  layout: Pick<Load, "kept" | "keptStart" | "duplicates">,
): Load {
  const problems: ValidationProblem[] = [];
  let ignored = 0;
  for (const file of files)
    for (const result of file.results) {
      if (result === undefined) ignored++;
      else if (result.problems.length > 0) problems.push(...result.problems);
    }
  const objects = new Map<ObjectKind, ClusterObject[]>(KINDS.map((kind) => [kind, []]));
  for (const object of layout.kept)
    if (object !== undefined) objects.get(object.kind)?.push(object);
  return { digest, files, ...work, objects, problems, ignored, ...layout };
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
  private readonly settleMs: number;
  /** The files of the last good load, by name: what the next read compares with. */
  private known: ReadonlyMap<string, ParsedFile> = new Map();
  private watcher: FSWatcher | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private rewatchTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Reloads run one after another; this is the tail of that chain. */
  private queue: Promise<void> = Promise.resolve();
  /** What the sink was last handed: the next load starts from it. */
  private lastGood: Load | undefined;
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
    this.settleMs = options.settleMs ?? 2000;
  }

  async loadFirst(): Promise<void> {
    const started = performance.now();
    const read = await readFiles(this.path, this.known, this.settleMs);
    this.pathIsFolder = read.isFolder;
    const load = await parseLoad(read, digestOfAll(read.files));
    if (load.files.length === 0)
      this.log.warn(
        { path: this.path },
        "file source: no .yaml, .yml or .json files in the folder",
      );
    this.apply(load, started, true);
    this.lookAgainWhenSettled(load.files);
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
    clearTimeout(this.settleTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Watch the folder, also when the source is one file: editors save by writing a new file
   * and renaming it over the old one, and a mounted ConfigMap swaps a "..data" link, so the
   * events that matter are about other names in the folder. Every event leads to a re-read
   * (see onFolderEvent); the content digest makes a re-read of unchanged files a no-op.
   */
  startWatching(): void {
    if (this.closed) return;
    const folder = this.pathIsFolder ? this.path : dirname(this.path);
    try {
      const watcher = watch(folder, { persistent: false }, (event, name) =>
        this.onFolderEvent(event, name),
      );
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

  /**
   * A file written in place may be read half-written, so most events wait for `debounceMs` of
   * quiet. A rename onto an input's name is how editors, `kubectl ... > tmp && mv` and the
   * kubelet (its "..data" link) replace a file whole, so it is re-read after a few ms. A file
   * created under an input's name also shows as a rename, but its writes follow at once as
   * "change" events, and those put the re-read back to the full quiet time.
   */
  private onFolderEvent(event: string, name: string | null): void {
    const replaced = event === "rename" && name !== null && this.isInputName(name);
    this.scheduleReload(replaced ? Math.min(REPLACED_DELAY_MS, this.debounceMs) : this.debounceMs);
  }

  /** Whether a name in the watched folder is (or holds) a file this source reads. */
  private isInputName(name: string): boolean {
    if (name === CONFIGMAP_DATA_LINK) return true;
    if (!this.pathIsFolder) return name === basename(this.path);
    return isManifestFileName(name);
  }

  private scheduleReload(delayMs = this.debounceMs): void {
    if (this.closed) return;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      void this.reload();
    }, delayMs);
    this.debounceTimer.unref();
  }

  private async reloadOnce(): Promise<void> {
    if (this.closed) return;
    const started = performance.now();
    try {
      const read = await readFiles(this.path, this.known, this.settleMs);
      const digest = digestOfAll(read.files);
      if (digest === this.lastGood?.digest) {
        // The same bytes (a touch, a save without changes): keep the new stamps, so that the
        // next look trusts them instead of reading the files again.
        if (read.files.every(isParsed)) this.known = byName(read.files);
        this.lastFailedDigest = undefined;
        return;
      }
      if (digest === this.lastFailedDigest) return;
      try {
        const load = await parseLoad(read, digest, this.lastGood);
        if (!this.closed) this.apply(load, started, false);
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

  /**
   * Files written just before we started (a ConfigMap volume is written as the pod starts)
   * changed too recently for their stamps to vouch for them, so every re-read would read all
   * of them again until one did. When there are several, one look after settleMs lets the
   * stamps vouch from then on, so the first real edit reads only its own file (at 10k services
   * in 400 files: 0.3 s less). Not after later loads: they leave only the edited files
   * unsettled, which costs the next re-read no more than the edit itself did; nor for a lone
   * file, which its first edit must read anyway.
   */
  private lookAgainWhenSettled(files: readonly ParsedFile[]): void {
    if (this.closed || files.length < 2 || files.every((file) => file.settled)) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      void this.reload();
    }, this.settleMs + SETTLE_MARGIN_MS);
    this.settleTimer.unref();
  }

  /** Hand a load to the sink. Synchronous, so the resolver never sees a mix of two loads. */
  private apply(load: Load, started: number, first: boolean): void {
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
        files: load.files.length,
        serviceImports: count("ServiceImport"),
        endpointSlices: count("EndpointSlice"),
        clusterProperties: count("ClusterProperty"),
        ignored: load.ignored,
        problems: load.problems.length,
        // The first load reads and parses everything; a reload tells how much it had to.
        ...(first ? {} : { filesRead: load.filesRead, unitsParsed: load.unitsParsed }),
        ms: Math.round(performance.now() - started),
      },
      first ? "file source loaded" : "file source reloaded",
    );

    for (const problem of load.problems) this.sink.reject(problem);
    for (const kind of KINDS) this.sink.replace(kind, load.objects.get(kind) ?? []);
    this.sink.markSynced();
    this.known = byName(load.files);
    this.lastGood = load;
    this.lastFailedDigest = undefined;
  }
}

function byName(files: readonly ParsedFile[]): Map<string, ParsedFile> {
  return new Map(files.map((file) => [file.name, file]));
}
