// The ts profile of the `step` and `operation-id` vectors, re-checked against the real SDK.
//
// Every `ts`-profile case of suite `step` is run through @aws/durable-execution-sdk-js 2.4.0 by
// tests/evidence/step_capture.mjs (a real `withDurableExecution` handler calling
// `context.step`, with a custom durableExecutionClient that records every checkpoint's
// Updates): JSON.stringify of each update the SDK sends must be the vector's update byte for
// byte (the only normalisation: Date.now() runs from the request's `now_ms`), and what the step
// did (ran attempt N with or without START, waited for START or not / returned / threw which
// class / suspended / failed the execution) must be the vector's action. Nothing from
// durable-core is imported: if a vector disagrees with the SDK, the vector is wrong.
//
// Cases an SDK invocation cannot express (bad input the SDK never receives) are skipped with a
// counted reason, and their vector source must say they are not drivable. The last test fails if
// fewer than the stated minimum of cases reached the SDK.
//
// Operation ids: every ts `operation-id` case whose position a real nested handler reaches is
// checked against the Id (md5[:16] of the hierarchical step id) and ParentId the SDK sends.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compare,
  NESTED_STEP_IDS,
  NotDrivable,
  observedNestedIds,
} from "../../tests/evidence/step_capture.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

// Minimums: below these the evidence checked too little to mean anything.
const MIN_STEP_CASES_CHECKED = 80;
const MIN_ID_CASES_CHECKED = 10;

function vectorDirs() {
  const extra = (process.env.DURABLE_CORE_VECTORS ?? "").split(":").filter(Boolean);
  return [join(repo, "tests", "vectors"), ...extra];
}

function casesOf(suite, isTs) {
  const found = [];
  for (const dir of vectorDirs()) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
      if (doc.suite !== suite) continue;
      for (const c of doc.cases) if (isTs(c)) found.push({ id: `${file}::${c.name}`, c });
    }
  }
  return found;
}

const isTsStep = (c) => {
  const r = c.input.request;
  return r !== null && typeof r === "object" ? r.profile === "ts" : c.name.startsWith("ts:");
};
const STEP_CASES = casesOf("step", isTsStep);
const ID_CASES = casesOf("operation-id", (c) => c.input.profile === "ts" || c.input.profile === "ts@2.4.0");
const checked = { step: new Set(), id: new Set() };
const skipped = new Map();
const skip = (t, reason) => {
  skipped.set(reason, (skipped.get(reason) ?? 0) + 1);
  t.skip(reason);
};
const md5_16 = (s) => createHash("md5").update(s).digest("hex").substring(0, 16);

for (const { id, c } of STEP_CASES) {
  test(`step: ${id}`, { timeout: 30_000 }, async (t) => {
    if ("error" in c.expected) {
      assert.match(c.source.toLowerCase(), /not drivable/, `${id}: a skipped case must say why in its source`);
      return skip(t, "bad input: the SDK never receives or validates this request");
    }
    let problem;
    try {
      problem = await compare(c);
    } catch (error) {
      if (!(error instanceof NotDrivable)) throw error;
      assert.match(c.source.toLowerCase(), /not drivable/, `${id}: not drivable (${error.message}) but its source does not say so`);
      return skip(t, error.message);
    }
    assert.equal(problem, null, `${id}: ${problem}`);
    checked.step.add(id);
  });
}

let nested;
for (const { id, c } of ID_CASES) {
  test(`operation-id: ${id}`, async (t) => {
    if ("error" in c.expected) {
      assert.match(c.source.toLowerCase(), /not drivable/);
      return skip(t, "operation-id bad input: the SDK has no such position");
    }
    const { parent, counter } = c.input;
    const stepId = parent === null ? String(counter) : `${parent}-${counter}`;
    if (!NESTED_STEP_IDS.includes(stepId)) return skip(t, "position not reached by the nested handler");
    nested ??= await observedNestedIds();
    assert.equal(c.expected.step_id, stepId, `${id}: the SDK's step id is ${stepId}`);
    const sentIds = [...nested.keys()];
    assert.ok(nested.has(c.expected.id), `${id}: the SDK sent no update with Id ${c.expected.id} (sent ${sentIds})`);
    assert.equal(nested.get(c.expected.id), parent === null ? undefined : md5_16(parent),
      `${id}: ParentId the SDK sent`);
    // The Id is the one the SDK sent for this position (every position has a distinct Id).
    assert.equal(sentIds.length, NESTED_STEP_IDS.length);
    assert.equal(sentIds[NESTED_STEP_IDS.indexOf(stepId)], c.expected.id, `${id}: Id sent for ${stepId}`);
    checked.id.add(id);
  });
}

test("enough cases reached the SDK (evidence that checked too little fails)", () => {
  console.log(`step: ${checked.step.size} ts cases checked against the SDK; operation-id: ` +
    `${checked.id.size} observed; skipped: ${JSON.stringify(Object.fromEntries(skipped))}`);
  assert.ok(checked.step.size >= MIN_STEP_CASES_CHECKED, `only ${checked.step.size} step cases checked`);
  assert.ok(checked.id.size >= MIN_ID_CASES_CHECKED, `only ${checked.id.size} id cases checked`);
});
