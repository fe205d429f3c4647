// Capped exponential backoff with jitter for the list/watch loops: a failing apiserver gets
// fewer and fewer requests from us (up to one per `maxMs`), and many replicas that lost the
// apiserver at the same moment do not come back in lockstep.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 30_000 };

export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number,
  ) {}

  /** Consecutive failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Record a failure and return how long to wait before the next attempt: half fixed, half random. */
  next(): number {
    const exponent = Math.min(this.failures, 30);
    this.failures += 1;
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** exponent);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}
