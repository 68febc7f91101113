// One cold start, run by bench.mjs in a fresh `node` process; prints its timings (ms) as JSON.
//   package: import the package as Node loads it (lib/, built by scripts/bundle.mjs), then its
//            first call (compile + instantiate + rule table + call)
//   phases:  the same work step by step, straight on the generated glue

const mode = process.argv[2];
const out = {};
let t = performance.now();
const lap = (name) => {
  const now = performance.now();
  out[name] = now - t;
  t = now;
};

if (mode === 'package') {
  const { classifyApiError } = await import('../lib/index.js');
  lap('import');
  classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: x' });
  lap('firstCall');
} else if (mode === 'sdk' || mode === 'sdk-package') {
  // A Lambda-like cold start: the JS SDK's own import, then (sdk-package) the package's import
  // and first call. CPU and peak memory are the whole process's.
  await import('@aws/durable-execution-sdk-js');
  lap('sdkImport');
  if (mode === 'sdk-package') {
    const { classifyApiError } = await import('../lib/index.js');
    classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: x' });
    lap('packageAfterSdk');
  }
  const cpu = process.cpuUsage();
  out.cpu = (cpu.user + cpu.system) / 1000;
  // Linux's VmHWM starts afresh at exec; maxRSS keeps the forking parent's high-water mark.
  let peakKiB = process.resourceUsage().maxRSS;
  try {
    const status = process.getBuiltinModule('node:fs').readFileSync('/proc/self/status', 'utf8');
    peakKiB = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? peakKiB);
  } catch {
    // not Linux: maxRSS it is
  }
  out.maxRssMiB = peakKiB / 1024;
} else if (mode === 'phases') {
  const { readFileSync } = await import('node:fs');
  const { instantiate } = await import('../gen/durable_core.js');
  lap('importGlue');
  const bytes = readFileSync(new URL('../gen/durable_core.core.wasm', import.meta.url));
  lap('read');
  const module = new WebAssembly.Module(bytes);
  lap('compile');
  const root = instantiate(() => module, {});
  lap('instantiate');
  root.classify.rules();
  lap('rules');
} else {
  throw new Error(`unknown mode ${mode}`);
}
process.stdout.write(JSON.stringify(out));
