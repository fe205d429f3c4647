// The soak harness in its short form (bench/soak/run.ts is the long one): 20 s of churn at
// 200 changes/s, a fault every 3 s, 1000 checked queries/s; no wrong, lost or SERVFAIL answer.

import assert from "node:assert/strict";
import { runSoak } from "../../bench/soak/soak.js";

describe("soak (20 s short form)", function () {
  this.timeout(120_000);

  it("churn + apiserver faults + continuous checked queries: 0 wrong, 0 lost, 0 SERVFAIL", async () => {
    const report = await runSoak({
      seconds: 20,
      churnPerSecond: 200,
      queriesPerSecond: 1000,
      faultEverySeconds: 3,
    });
    const { samples, ...summary } = report;
    console.log(`      ${JSON.stringify({ ...summary, options: undefined })}`);
    assert.deepEqual(report.wrongExamples, [], "wrong answers");
    assert.equal(report.queries.wrong, 0);
    assert.equal(report.queries.lost, 0);
    assert.equal(report.queries.servfail, 0);
    assert.equal(report.queries.answered, report.queries.sent);
    assert.ok(report.queries.sent > 15_000, `only ${report.queries.sent} queries sent`);
    assert.ok(report.churn.updates + report.churn.creates + report.churn.deletes > 3000);
    // Every injected fault must converge; how many fit in 20 s depends on the machine's load
    // (a stalled watch waits out the idle timeout), so only a floor on that count.
    const injected = Object.values(report.faults.injected).reduce((sum, n) => sum + n, 0);
    assert.ok(injected >= 3, `only ${injected} faults injected`);
    assert.equal(report.faults.survived, injected, "every injected fault converged");
    assert.equal(report.faults.unconverged, 0);
    assert.ok(samples.length >= 19);
  });
});

describe("soak checker (negative control)", function () {
  this.timeout(60_000);

  it("with 0 ms allowance it flags the server's normal rebuild lag as wrong answers", async () => {
    const report = await runSoak({
      seconds: 5,
      churnPerSecond: 400,
      queriesPerSecond: 1000,
      faultEverySeconds: 1000,
      allowanceMs: 0,
    });
    console.log(`      ${report.queries.wrong} of ${report.queries.answered} flagged`);
    assert.ok(report.queries.wrong > 0, "the checker never flags anything");
    assert.equal(report.queries.lost, 0);
  });
});
