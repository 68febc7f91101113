// The ts profile of the `invocation` vectors, re-checked against the real SDK.
//
// Every `ts`-profile case of suite `invocation` is run through @aws/durable-execution-sdk-js
// 2.4.0 by tests/evidence/invocation_capture.mjs: the SDK's own withDurableExecution handler and
// Lambda transport over a real @aws-sdk/client-lambda client whose request handler answers from
// the case's `service` list. Every service call the SDK makes (checkpoint token and
// JSON.stringify of each update; get-state token and marker) must be the vector's `calls`, in
// order, and the invocation's output (or its failure, or a recorded timeout) must be the
// vector's. Nothing from durable-core is imported: if a vector disagrees with the SDK, the vector
// is wrong. The last test fails if fewer than the stated minimum of cases reached the SDK.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compare, tsCases } from "../../tests/evidence/invocation_capture.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

// Below this the evidence checked too little to mean anything.
const MIN_CASES_CHECKED = 80;

function vectorFiles() {
  const extra = (process.env.DURABLE_CORE_VECTORS ?? "").split(":").filter(Boolean);
  const files = [];
  for (const dir of [join(repo, "tests", "vectors"), ...extra]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const doc = JSON.parse(readFileSync(join(dir, file), "utf8"));
      if (doc.suite === "invocation") files.push([file, doc]);
    }
  }
  return files;
}

const CASES = vectorFiles().flatMap(([file, doc]) => tsCases(doc).map((c) => ({ id: `${file}::${c.name}`, c })));
const checked = new Set();

for (const { id, c } of CASES) {
  test(`invocation ${id} matches the SDK`, async () => {
    assert.ok(c.expected, `${id}: no expectation`);
    assert.ok(c.source.includes("captured from @aws/durable-execution-sdk-js 2.4.0"), id);
    const problem = await compare(c);
    checked.add(id);
    assert.equal(problem, null, `${id}: ${problem}`);
  });
}

test("enough ts invocation cases reached the SDK", () => {
  assert.ok(checked.size >= MIN_CASES_CHECKED,
    `only ${checked.size} ts invocation cases were checked against the SDK (minimum ${MIN_CASES_CHECKED})`);
});
