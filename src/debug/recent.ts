// The validation problems a running server has seen lately, for /debug/explain. Only kept with
// --debug; bounded, so a source that keeps sending broken objects costs a fixed amount of memory.

import type { ValidationProblem } from "../zone/types.js";

export const MAX_RECENT_PROBLEMS = 1000;

export class RecentProblems {
  /** Keyed by object and path: a problem seen again replaces (and refreshes) the old one. */
  private readonly problems = new Map<string, ValidationProblem>();

  constructor(private readonly limit = MAX_RECENT_PROBLEMS) {}

  record(problem: ValidationProblem): void {
    const key = `${problem.kind}/${problem.namespace}/${problem.name}\n${problem.path}`;
    this.problems.delete(key);
    this.problems.set(key, problem);
    if (this.problems.size > this.limit) {
      const oldest = this.problems.keys().next();
      if (oldest.done !== true) this.problems.delete(oldest.value);
    }
  }

  /** Oldest first. */
  list(): ValidationProblem[] {
    return [...this.problems.values()];
  }
}
