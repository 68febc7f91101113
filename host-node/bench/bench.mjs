// Benchmark: cold start and per-call cost of the package, against a plain-JS twin of the ts rule
// and the real SDK's classifier; per-decision cost of retry strategies against the SDK's own
// createRetryStrategy. Medians over rounds; the machine is shared, so rounds are interleaved
// across subjects and the spread is printed.
//
//   node bench/bench.mjs [--json] [--rounds N] [--children N] [--calls N]
//
// Prints a markdown table, or with --json one JSON object with the same numbers.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { _test, core } from '../src/component.js';
import { aws, classifyApiError, classifyError, coreInfo, rules } from '../src/index.js';
import { retry } from '../src/index.js';
import { step } from '../src/step-index.js';
import { sdkClassifier } from './sdk-route.mjs';
import { classifyTsTwin } from './ts-twin.mjs';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '15' },
    children: { type: 'string', default: '15' },
    calls: { type: 'string', default: '200000' },
  },
});
const ROUNDS = Number(args.rounds);
const CHILDREN = Number(args.children);
const CALLS = Number(args.calls);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const spread = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });

// ---- cold start: fresh processes
function cold(mode) {
  const child = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));
  const runs = Array.from({ length: CHILDREN }, () => JSON.parse(execFileSync(process.execPath, [child, mode], { encoding: 'utf8' })));
  return Object.fromEntries(Object.keys(runs[0]).map((key) => [key, spread(runs.map((r) => r[key]))]));
}
const coldPackage = cold('package');
const coldPhases = cold('phases');
const totals = coldPackage.import.median + coldPackage.firstCall.median;
// Next to the JS SDK's own import, interleaved so both see the same noise.
function coldBesideSdk() {
  const child = fileURLToPath(new URL('./cold-child.mjs', import.meta.url));
  const run = (mode) => JSON.parse(execFileSync(process.execPath, [child, mode], { encoding: 'utf8' }));
  const pairs = [];
  try {
    for (let i = 0; i < CHILDREN; i++) pairs.push([run('sdk'), run('sdk-package')]);
  } catch (error) {
    return { skipped: String(error.message).split('\n')[0] };
  }
  const m = (f) => median(pairs.map(f));
  return {
    sdkImportMs: m(([a]) => a.sdkImport),
    packageAfterSdkMs: m(([, b]) => b.packageAfterSdk),
    sdkCpuMs: m(([a]) => a.cpu),
    addedCpuMs: m(([a, b]) => b.cpu - a.cpu),
    addedCpuPercent: m(([a, b]) => ((b.cpu - a.cpu) / a.cpu) * 100),
    addedMaxRssMiB: m(([, b]) => b.maxRssMiB) - m(([a]) => a.maxRssMiB),
  };
}
const besideSdk = coldBesideSdk();

// ---- per call: typical inputs
const STALE = { status: 400, code: 'InvalidParameterValueException', message: 'Invalid Checkpoint Token: token expired', profile: 'ts' };
const KMS = { status: 502, code: 'KMSAccessDeniedException', message: 'The ciphertext refers to a customer master key that does not exist', profile: 'ts' };
const asAwsError = ({ status, code, message }) => Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
const STALE_ERROR = asAwsError(STALE);
const KMS_ERROR = asAwsError(KMS);

// The raw crossing, options word already packed: through jco's glue (which the package bypasses,
// see src/abi.js) and through the package's own lowering.
const PACKED = [0b11100, STALE.status, STALE.code, STALE.message]; // code, message, ts profile
const glue = _test.glue();
const { classifyPacked } = core();
const asCategory = (rule) => rules()[rule].category;

let sdk;
let sdkSkipped;
try {
  sdk = await sdkClassifier();
} catch (error) {
  sdkSkipped = error.message;
}

// ---- retry decisions: the same config through durable-core and through the SDK's own strategy.
const RETRY_CFG = { maxAttempts: 5, initialDelay: { seconds: 2 }, maxDelay: { seconds: 60 }, backoffRate: 2, jitter: 'FULL' };
const FILTERED_CFG = { ...RETRY_CFG, retryableErrors: [/timeout/i, 'ECONNRESET'] };
const RETRY_ERROR = new TypeError('fetch failed: ECONNRESET');
const strategy = retry.createStrategy(retry.exponential(RETRY_CFG), { profile: 'ts' });
const filtered = retry.createStrategy(retry.exponential(FILTERED_CFG), { profile: 'ts' });
const awsStrategy = aws.createRetryStrategy(RETRY_CFG);
const retryHandle = _test.glue().retry.register(strategy.config, 'ts');
const RETRY_PACKED = [retryHandle, 2, 0.5, RETRY_ERROR.message, 'TypeError\nError'];
const { decidePacked } = core();
const OUTCOME_BITS = ['retry', 'attempts-exhausted', 'not-retryable', 'rejected'];
let sdkRetry;
let sdkFiltered;
try {
  const { createRetryStrategy } = await import('@aws/durable-execution-sdk-js');
  sdkRetry = createRetryStrategy(RETRY_CFG);
  sdkFiltered = createRetryStrategy(FILTERED_CFG);
} catch (error) {
  sdkSkipped = `${sdkSkipped ? `${sdkSkipped}; ` : ''}createRetryStrategy: ${error.message}`;
}
const sdkOutcome = (decision) => (decision.shouldRetry ? 'retry' : 'no retry');
const RETRY_2 = 'retry, attempt 2';
const RETRY_FILTERED = 'retry, RegExp + substring filter';
const EXHAUSTED = 'attempts exhausted';

const subjects = [
  ['classifyApiError', 'stale token 400', () => classifyApiError(STALE).category],
  ['classifyApiError', 'KMS 502', () => classifyApiError(KMS).category],
  ['classifyError', 'stale token 400', () => classifyError(STALE_ERROR, { profile: 'ts' }).category],
  ['classifyError', 'KMS 502', () => classifyError(KMS_ERROR, { profile: 'ts' }).category],
  ['crossing only: src/abi.js lowering', 'stale token 400', () => asCategory(classifyPacked(...PACKED))],
  ['crossing only: jco 1.12 glue', 'stale token 400', () => asCategory(glue.classify.classifyPacked(...PACKED))],
  ['plain-JS twin (ts rule)', 'stale token 400', () => classifyTsTwin(STALE).category],
  ['plain-JS twin (ts rule)', 'KMS 502', () => classifyTsTwin(KMS).category],
  ...(sdk
    ? [
        ['SDK 2.4.0 classifyCheckpointError', 'stale token 400', () => sdk(STALE_ERROR), 20],
        ['SDK 2.4.0 classifyCheckpointError', 'KMS 502', () => sdk(KMS_ERROR), 20],
      ]
    : []),
  ['strategy.decide (random given)', RETRY_2, () => strategy.decide(RETRY_ERROR, 2, { random: 0.5 }).outcome, 1, 'retry'],
  ['strategy.decide (Math.random drawn)', RETRY_2, () => strategy.decide(RETRY_ERROR, 2).outcome, 1, 'retry'],
  ['strategy.decide (random given)', RETRY_FILTERED, () => filtered.decide(RETRY_ERROR, 2, { random: 0.5 }).outcome, 1, 'retry'],
  ['strategy.decide', EXHAUSTED, () => strategy.decide(RETRY_ERROR, 5).outcome, 1, 'attempts-exhausted'],
  ['aws.createRetryStrategy(cfg) function', RETRY_2, () => sdkOutcome(awsStrategy(RETRY_ERROR, 2)), 1, 'retry'],
  ['crossing only: src/abi.js decide-packed', RETRY_2, () => OUTCOME_BITS[Number(decidePacked(...RETRY_PACKED) & 3n)], 1, 'retry'],
  ['crossing only: jco 1.12 glue decide-packed', RETRY_2, () => OUTCOME_BITS[Number(glue.retry.decidePacked(...RETRY_PACKED) & 3n)], 1, 'retry'],
  ...(sdkRetry
    ? [
        ['SDK 2.4.0 createRetryStrategy(cfg) function', RETRY_2, () => sdkOutcome(sdkRetry(RETRY_ERROR, 2)), 1, 'retry'],
        ['SDK 2.4.0 createRetryStrategy(cfg) function', RETRY_FILTERED, () => sdkOutcome(sdkFiltered(RETRY_ERROR, 2)), 1, 'retry'],
        ['SDK 2.4.0 createRetryStrategy(cfg) function', EXHAUSTED, () => sdkOutcome(sdkRetry(RETRY_ERROR, 5)), 1, 'no retry'],
      ]
    : []),
];
// Every subject must give the same answer, or the comparison is meaningless.
for (const [name, input, run, , answer] of subjects) {
  const expected = answer ?? (input === 'KMS 502' ? 'EXECUTION' : 'INVOCATION');
  if (run() !== expected) throw new Error(`${name} on ${input}: ${run()}, expected ${expected}`);
}

const samples = subjects.map(() => []);
let sink = 0;
for (let round = -2; round < ROUNDS; round++) {
  subjects.forEach(([, , run, divisor = 1], i) => {
    const calls = Math.ceil(CALLS / divisor);
    const start = process.hrtime.bigint();
    for (let n = 0; n < calls; n++) sink += run().length;
    const ns = Number(process.hrtime.bigint() - start) / calls;
    if (round >= 0) samples[i].push(ns); // the first two rounds warm up
  });
}
if (sink === 0) throw new Error('unreachable: keeps the loops alive');

const perCall = subjects.map(([name, input], i) => ({ name, input, ns: spread(samples[i]) }));
const nsOf = (name, input) => perCall.find((p) => p.name === name && p.input === input).ns.median;

const component = readFileSync(new URL('../../build/durable_core.wasm', import.meta.url));
const coreModule = readFileSync(new URL('../gen/durable_core.core.wasm', import.meta.url));
const glueSource = readFileSync(new URL('../gen/durable_core.js', import.meta.url));

const report = {
  node: process.version,
  core: coreInfo(),
  settings: { rounds: ROUNDS, callsPerRound: CALLS, children: CHILDREN },
  sizes: {
    componentBytes: component.length,
    componentGzipBytes: gzipSync(component).length,
    coreModuleBytes: coreModule.length,
    glueBytes: glueSource.length,
  },
  coldMs: {
    importPlusFirstCall: totals,
    import: coldPackage.import,
    firstCall: coldPackage.firstCall,
    compile: coldPhases.compile,
    instantiate: coldPhases.instantiate,
    rules: coldPhases.rules,
    besideSdk,
  },
  perCallNs: perCall,
  ratioToTwin: {
    'stale token 400': nsOf('classifyApiError', 'stale token 400') / nsOf('plain-JS twin (ts rule)', 'stale token 400'),
    'KMS 502': nsOf('classifyApiError', 'KMS 502') / nsOf('plain-JS twin (ts rule)', 'KMS 502'),
  },
  ...(sdkRetry && {
    retryRatioToSdk: {
      [RETRY_2]: nsOf('strategy.decide (random given)', RETRY_2) / nsOf('SDK 2.4.0 createRetryStrategy(cfg) function', RETRY_2),
      [RETRY_FILTERED]: nsOf('strategy.decide (random given)', RETRY_FILTERED) / nsOf('SDK 2.4.0 createRetryStrategy(cfg) function', RETRY_FILTERED),
      [EXHAUSTED]: nsOf('strategy.decide', EXHAUSTED) / nsOf('SDK 2.4.0 createRetryStrategy(cfg) function', EXHAUSTED),
    },
  }),
  targets: {
    perCallAtMost1us: Math.max(nsOf('classifyApiError', 'stale token 400'), nsOf('classifyApiError', 'KMS 502')) <= 1000,
    retryDecideAtMost1us: nsOf('strategy.decide (random given)', RETRY_2) <= 1000,
    coldAtMost10ms: totals <= 10,
  },
  ...(sdkSkipped ? { sdkSkipped } : {}),
};

// ---- step: per-call latency of step.begin / step.complete (one component call each, JSON in
// and out), medians over rounds like the subjects above, with fewer calls per round.
const STEP_NOW = 1_700_000_000_000;
const STEP_CALL = { id: 'c4ca4238a0b92382', name: 'charge', profile: 'ts' };
const STEP_AT = { nowMs: STEP_NOW, random: 0.5 };
const STEP_SUCCEEDED = { Id: STEP_CALL.id, Type: 'STEP', SubType: 'Step', Name: 'charge', Status: 'SUCCEEDED', StartTimestamp: STEP_NOW, StepDetails: { Attempt: 1, Result: '{"charged":42,"currency":"EUR"}' } };
const STEP_ERROR = Object.assign(new Error('card declined'), { name: 'Declined' });
const stepStrategy = retry.createStrategy(retry.exponential({ maxAttempts: 3, initialDelay: 1, jitter: 'NONE' }), { profile: 'ts' });
const stepSubjects = [
  ['step.begin', 'first run (no operation)', () => step.begin(STEP_CALL, null, STEP_AT).action.kind, 'execute'],
  ['step.begin', 'replay of SUCCEEDED', () => step.begin(STEP_CALL, STEP_SUCCEEDED, STEP_AT).action.kind, 'return'],
  ['step.complete', 'success (small payload)', () => step.complete(STEP_CALL, 1, { success: { payload: '{"charged":42}' } }, STEP_AT).action.kind, 'return'],
  ['step.complete', 'retry (Error, default preset)', () => step.complete(STEP_CALL, 1, STEP_ERROR, STEP_AT).action.kind, 'suspend'],
  ['step.complete', 'retry (Error, a retry.createStrategy Strategy)', () => step.complete(STEP_CALL, 1, STEP_ERROR, { ...STEP_AT, strategy: stepStrategy }).action.kind, 'suspend'],
];
for (const [name, input, run, expected] of stepSubjects) {
  if (run() !== expected) throw new Error(`${name} on ${input}: ${run()}, expected ${expected}`);
}
const STEP_CALLS = Math.max(1, Math.ceil(CALLS / 20));
const stepSamples = stepSubjects.map(() => []);
for (let round = -2; round < ROUNDS; round++) {
  stepSubjects.forEach(([, , run], i) => {
    const start = process.hrtime.bigint();
    for (let n = 0; n < STEP_CALLS; n++) sink += run().length;
    const ns = Number(process.hrtime.bigint() - start) / STEP_CALLS;
    if (round >= 0) stepSamples[i].push(ns);
  });
}
report.stepPerCallNs = stepSubjects.map(([name, input], i) => ({ name, input, ns: spread(stepSamples[i]) }));
report.settings.stepCallsPerRound = STEP_CALLS;

// ---- regex time bound: one decision on a 1 MB message, a three-character literal against the
// worst patterns the core accepts (program size at the bound), same run.
const MESSAGE_1MB = new Error('a'.repeat(1 << 20));
const regexSeconds = (pattern) => {
  const strategy = retry.createStrategy(retry.exponential({ retryableErrors: [pattern], jitter: 'NONE' }), { profile: 'ts' });
  const samples = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    strategy.decide(MESSAGE_1MB, 1, { random: 0.5 });
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  strategy.release();
  return median(samples);
};
const regexLiteral = regexSeconds(/zzz/);
const regexWorst = [/a{22}x/, /[a-z]{22}x/, /a.{20}x/, /a{0,10}x/]
  .map((pattern) => ({ pattern: String(pattern), seconds: regexSeconds(pattern) }))
  .reduce((a, b) => (b.seconds > a.seconds ? b : a));
report.regex1MB = { literalSeconds: regexLiteral, worst: regexWorst, ratio: regexWorst.seconds / regexLiteral };

if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const ms = (s) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
  const ns = (s) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  const lines = [
    `durable-core ${report.core.crateVersion} (rules v${report.core.rulesVersion}) on Node ${report.node}; medians (min–max) over ${CHILDREN} processes / ${ROUNDS} rounds`,
    '',
    '| measure | value |',
    '|---|---|',
    `| component size | ${report.sizes.componentBytes} B (${report.sizes.componentGzipBytes} B gzipped); core module ${report.sizes.coreModuleBytes} B; glue ${report.sizes.glueBytes} B |`,
    `| cold: import + first call (target <= 10 ms) | ${totals.toFixed(2)} ms |`,
    ...(besideSdk.skipped
      ? [`| cold: beside the JS SDK's import | not measured: ${besideSdk.skipped} |`]
      : [
          `| cold: the JS SDK's own import (@aws/durable-execution-sdk-js) | ${besideSdk.sdkImportMs.toFixed(1)} ms wall, ${besideSdk.sdkCpuMs.toFixed(1)} ms CPU (whole process) |`,
          `| cold: + package import + first call after the SDK (target <= 10 ms) | ${besideSdk.packageAfterSdkMs.toFixed(2)} ms wall; CPU added ${besideSdk.addedCpuMs.toFixed(1)} ms (${besideSdk.addedCpuPercent.toFixed(1)}%); peak memory added ${besideSdk.addedMaxRssMiB.toFixed(1)} MiB |`,
        ]),
    `| cold: import the package | ${ms(coldPackage.import)} ms |`,
    `| cold: first call (compile + instantiate + rule table + call) | ${ms(coldPackage.firstCall)} ms |`,
    `| cold: compile the core module alone | ${ms(coldPhases.compile)} ms |`,
    `| cold: instantiate alone | ${ms(coldPhases.instantiate)} ms |`,
    `| cold: read the rule table | ${ms(coldPhases.rules)} ms |`,
    ...perCall.map((p) => `| per call: ${p.name}, ${p.input} | ${ns(p.ns)} ns |`),
    `| classifyApiError / twin | ${report.ratioToTwin['stale token 400'].toFixed(1)}x (stale), ${report.ratioToTwin['KMS 502'].toFixed(1)}x (KMS) |`,
    ...(report.retryRatioToSdk
      ? [`| strategy.decide / SDK createRetryStrategy | ${Object.entries(report.retryRatioToSdk).map(([input, r]) => `${r.toFixed(1)}x (${input})`).join(', ')} |`]
      : []),
    ...report.stepPerCallNs.map((p) => `| per call: ${p.name}, ${p.input} | ${ns(p.ns)} ns |`),
    `| retry decision on a 1 MB message: literal /zzz/ / worst accepted ${regexWorst.pattern} (target <= 20x) | ${regexLiteral.toFixed(3)} s / ${regexWorst.seconds.toFixed(3)} s (${report.regex1MB.ratio.toFixed(1)}x) |`,
  ];
  if (sdkSkipped) lines.push('', `SDK route not measured: ${sdkSkipped}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
