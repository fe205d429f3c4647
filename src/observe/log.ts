// The process logger: pino JSON lines on stdout, one object per line, with `level` as a
// string label so log collectors can filter without knowing pino's numeric levels.
// Also the rate limiter that keeps a flood of malformed objects from flooding the logs.

import pino from "pino";
import type { ValidationProblem } from "../zone/types.js";

export type Logger = pino.Logger;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A logger writing to `destination`, or synchronously to stdout by default (synchronous so a
 * fatal line is on stdout before the process exits; we never log per query, so the cost of a
 * blocking write is paid rarely).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  if (!isLogLevel(level)) {
    throw new Error(`unknown log level "${level}" (expected one of ${LOG_LEVELS.join(", ")})`);
  }
  return pino(
    {
      level,
      base: { name: "clusterset-dns", pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

export interface RateLimitOptions {
  /** Lines allowed per key per interval. */
  perInterval: number;
  intervalMs: number;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Distinct keys tracked at once; past this, new keys share one budget so memory stays bounded. */
  maxKeys?: number;
}

type LogMethodLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

interface KeyWindow {
  start: number;
  logged: number;
  /** Suppressed in the current window and not yet reported. */
  suppressed: number;
}

const OVERFLOW_KEY = "\u0000overflow";

/**
 * Logs at most `perInterval` lines per key per interval. Suppressed lines are counted; the
 * count is reported on the next line logged for that key (`suppressed` field) or by `flush()`,
 * so an operator always learns how many lines were dropped.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, KeyWindow>();
  private readonly now: () => number;
  private readonly maxKeys: number;
  private suppressedCount = 0;

  constructor(
    private readonly logger: Logger,
    private readonly options: RateLimitOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 1000;
  }

  /** Total lines suppressed since creation. */
  get suppressedTotal(): number {
    return this.suppressedCount;
  }

  /** Log `msg` with `fields` unless `key` has used its budget; returns whether a line was written. */
  log(level: LogMethodLevel, key: string, fields: Record<string, unknown>, msg: string): boolean {
    const now = this.now();
    const window = this.windowFor(key, now);
    if (now - window.start >= this.options.intervalMs) {
      window.start = now;
      window.logged = 0;
    }
    if (window.logged >= this.options.perInterval) {
      window.suppressed += 1;
      this.suppressedCount += 1;
      return false;
    }
    window.logged += 1;
    if (window.suppressed > 0) {
      this.logger[level]({ ...fields, suppressed: window.suppressed }, msg);
      window.suppressed = 0;
    } else {
      this.logger[level](fields, msg);
    }
    return true;
  }

  /** Report pending suppressed counts (e.g. on a timer or at shutdown), one line per key. */
  flush(): void {
    for (const [key, window] of this.windows) {
      if (window.suppressed > 0) {
        this.logger.warn(
          { key: key === OVERFLOW_KEY ? "other" : key, suppressed: window.suppressed },
          "similar log lines were suppressed",
        );
        window.suppressed = 0;
      }
    }
  }

  private windowFor(key: string, now: number): KeyWindow {
    const existing = this.windows.get(key);
    if (existing !== undefined) return existing;
    if (this.windows.size >= this.maxKeys) this.forgetIdle(now);
    const effectiveKey = this.windows.size >= this.maxKeys ? OVERFLOW_KEY : key;
    let window = this.windows.get(effectiveKey);
    if (window === undefined) {
      window = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(effectiveKey, window);
    }
    return window;
  }

  /** Drop keys whose window has expired and that owe no suppressed count. */
  private forgetIdle(now: number): void {
    for (const [key, window] of this.windows) {
      if (window.suppressed === 0 && now - window.start >= this.options.intervalMs) {
        this.windows.delete(key);
      }
    }
  }
}

export interface RateLimitedLogger {
  /** Returns whether a line was written. */
  log: (key: string, fields: Record<string, unknown>, msg: string) => boolean;
  flush: () => void;
  limiter: RateLimitedLog;
}

/** `RateLimitedLog` with a simpler call shape for a single level. */
export function rateLimited(
  logger: Logger,
  options: RateLimitOptions,
  level: LogMethodLevel = "warn",
): RateLimitedLogger {
  const limiter = new RateLimitedLog(logger, options);
  return {
    log: (key, fields, msg) => limiter.log(level, key, fields, msg),
    flush: () => limiter.flush(),
    limiter,
  };
}

/**
 * One warn line per rejected object (or rejected part of one), at most `perMinute` per
 * (kind, reason) per minute. A watch that replays thousands of bad objects after a relist
 * must not bury the lines that matter.
 */
export class RejectLogger {
  private readonly limiter: RateLimitedLog;

  constructor(logger: Logger, options: { perMinute?: number; now?: () => number } = {}) {
    this.limiter = new RateLimitedLog(logger, {
      perInterval: options.perMinute ?? 10,
      intervalMs: 60_000,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  }

  get suppressedTotal(): number {
    return this.limiter.suppressedTotal;
  }

  /** Returns whether a line was written. */
  reject(source: string, problem: ValidationProblem): boolean {
    return this.limiter.log(
      "warn",
      `${problem.kind}\u0000${problem.reason}`,
      {
        source,
        kind: problem.kind,
        namespace: problem.namespace,
        objectName: problem.name,
        path: problem.path,
        reason: problem.reason,
        objectSkipped: problem.objectSkipped,
      },
      problem.objectSkipped ? "object rejected" : "part of object rejected",
    );
  }

  flush(): void {
    this.limiter.flush();
  }
}
