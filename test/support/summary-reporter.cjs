// Mocha reporter: spec-style progress, failure details, and as the very last line the plain
// summary CI reads: "N passed, N failed, N skipped".
"use strict";
const Mocha = require("mocha");
const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_SUITE_BEGIN, EVENT_RUN_END } =
  Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Base {
  constructor(runner, options) {
    super(runner, options);
    let passed = 0;
    let skipped = 0;
    const failures = [];
    let depth = 0;
    const indent = () => "  ".repeat(Math.max(depth - 1, 0));
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      depth = suite.titlePath().length;
      if (suite.title) process.stdout.write(`${indent()}${suite.title}\n`);
    });
    runner.on(EVENT_TEST_PASS, (test) => {
      passed++;
      process.stdout.write(`${indent()}  ok ${test.title} (${test.duration ?? 0} ms)\n`);
    });
    runner.on(EVENT_TEST_PENDING, (test) => {
      skipped++;
      process.stdout.write(`${indent()}  skip ${test.title}\n`);
    });
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      failures.push({ title: test.fullTitle(), err });
      process.stdout.write(`${indent()}  FAIL ${test.title}\n`);
    });
    runner.once(EVENT_RUN_END, () => {
      failures.forEach((f, i) => {
        process.stdout.write(
          `\n${i + 1}) ${f.title}\n${(f.err && (f.err.stack || f.err.message)) || f.err}\n`,
        );
      });
      process.stdout.write(`\n${passed} passed, ${failures.length} failed, ${skipped} skipped\n`);
    });
  }
}
module.exports = SummaryReporter;
