// Benchmark: cold start and per-call cost of the package, against a plain-JS twin of the ts rule
// and the real SDK's classifier. Medians over rounds; the machine is shared, so rounds are
// interleaved across subjects and the spread is printed.
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
import { classifyApiError, classifyError, coreInfo, rules } from '../src/index.js';
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

// ---- per call: typical inputs
const STALE = { status: 400, code: 'InvalidParameterValueException', message: 'Invalid Checkpoint Token: token expired', profile: 'ts' };
const KMS = { status: 502, code: 'KMSAccessDeniedException', message: 'The ciphertext refers to a customer master key that does not exist', profile: 'ts' };
const asAwsError = ({ status, code, message }) => Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } });
const STALE_ERROR = asAwsError(STALE);
const KMS_ERROR = asAwsError(KMS);

// The raw crossing, options word already packed: through jco's glue (which the package bypasses,
// see src/abi.js) and through the package's own lowering.
const PACKED = [0b11100, STALE.status, STALE.code, STALE.message]; // code, message, ts profile
const glue = _test.glue().classify;
const { classifyPacked } = core();
const asCategory = (rule) => rules()[rule].category;

let sdk;
let sdkSkipped;
try {
  sdk = await sdkClassifier();
} catch (error) {
  sdkSkipped = error.message;
}

const subjects = [
  ['classifyApiError', 'stale token 400', () => classifyApiError(STALE).category],
  ['classifyApiError', 'KMS 502', () => classifyApiError(KMS).category],
  ['classifyError', 'stale token 400', () => classifyError(STALE_ERROR, { profile: 'ts' }).category],
  ['classifyError', 'KMS 502', () => classifyError(KMS_ERROR, { profile: 'ts' }).category],
  ['crossing only: src/abi.js lowering', 'stale token 400', () => asCategory(classifyPacked(...PACKED))],
  ['crossing only: jco 1.12 glue', 'stale token 400', () => asCategory(glue.classifyPacked(...PACKED))],
  ['plain-JS twin (ts rule)', 'stale token 400', () => classifyTsTwin(STALE).category],
  ['plain-JS twin (ts rule)', 'KMS 502', () => classifyTsTwin(KMS).category],
  ...(sdk
    ? [
        ['SDK 2.4.0 classifyCheckpointError', 'stale token 400', () => sdk(STALE_ERROR), 20],
        ['SDK 2.4.0 classifyCheckpointError', 'KMS 502', () => sdk(KMS_ERROR), 20],
      ]
    : []),
];
// Every subject must give the same answer, or the comparison is meaningless.
for (const [name, input, run] of subjects) {
  const expected = input === 'KMS 502' ? 'EXECUTION' : 'INVOCATION';
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
  },
  perCallNs: perCall,
  ratioToTwin: {
    'stale token 400': nsOf('classifyApiError', 'stale token 400') / nsOf('plain-JS twin (ts rule)', 'stale token 400'),
    'KMS 502': nsOf('classifyApiError', 'KMS 502') / nsOf('plain-JS twin (ts rule)', 'KMS 502'),
  },
  targets: {
    perCallAtMost1us: Math.max(nsOf('classifyApiError', 'stale token 400'), nsOf('classifyApiError', 'KMS 502')) <= 1000,
    coldAtMost10ms: totals <= 10,
  },
  ...(sdkSkipped ? { sdkSkipped } : {}),
};

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
    `| cold: import the package | ${ms(coldPackage.import)} ms |`,
    `| cold: first call (compile + instantiate + rule table + call) | ${ms(coldPackage.firstCall)} ms |`,
    `| cold: compile the core module alone | ${ms(coldPhases.compile)} ms |`,
    `| cold: instantiate alone | ${ms(coldPhases.instantiate)} ms |`,
    `| cold: read the rule table | ${ms(coldPhases.rules)} ms |`,
    ...perCall.map((p) => `| per call: ${p.name}, ${p.input} | ${ns(p.ns)} ns |`),
    `| classifyApiError / twin | ${report.ratioToTwin['stale token 400'].toFixed(1)}x (stale), ${report.ratioToTwin['KMS 502'].toFixed(1)}x (KMS) |`,
  ];
  if (sdkSkipped) lines.push('', `SDK route not measured: ${sdkSkipped}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
