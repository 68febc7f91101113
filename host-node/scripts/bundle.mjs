// Builds the package's two compiled forms of src/, both from package.json's exports map:
// - lib/: what Node loads (the `default` condition). The sources bundled into one module per
//   exported subpath, code-split so the entries share one component instance, with the package's
//   dependencies left as imports. Node pays about 0.4 ms of module set-up per ESM file at import,
//   and src/ is a dozen files: this halves the import's share of a cold start. The core module is
//   still read from gen/ beside the package (src/core-wasm.js).
// - dist/bundler/: what bundlers load (the `module` condition, which esbuild, webpack and rollup
//   apply by default and Node ignores). The same, with src/core-wasm.js replaced by a module
//   carrying the core module's bytes, so a bundled handler is one file.
// Run by `npm test` (pretest), `npm pack` (scripts/prepack.mjs), scripts/setup and bench/run;
// needs the devDependency esbuild.
//   node scripts/bundle.mjs

import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bundlerDir = 'dist/bundler';
const nodeDir = 'lib';

// Every exported subpath names src/<name>.d.ts as its types, ./lib/<name>.js as its default and
// ./dist/bundler/<name>.js as its module.
const entryPoints = [];
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object') continue;
  const base = String(target.types).replace(/^\.\/src\//, '').replace(/\.d\.ts$/, '.js');
  const expected = { default: `./${nodeDir}/${base}`, module: `./${bundlerDir}/${base}` };
  for (const [condition, path] of Object.entries(expected)) {
    if (target[condition] !== path) {
      throw new Error(`package.json exports["${subpath}"].${condition} must be "${path}" (is ${JSON.stringify(target[condition])})`);
    }
  }
  entryPoints.push(`src/${base}`);
}

const wasmName = 'durable_core.core.wasm';
const inlineWasm = {
  name: 'durable-core-inline-wasm',
  setup(b) {
    b.onResolve({ filter: /^\.\/core-wasm\.js$/ }, (args) =>
      args.importer.endsWith('/src/component.js') ? { path: 'core-wasm-inline.js', namespace: 'durable-core-inline' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'durable-core-inline' }, () => {
      const bytes = readFileSync(new URL(`../gen/${wasmName}`, import.meta.url));
      return {
        loader: 'js',
        contents: `// gen/${wasmName} (${bytes.length} bytes), inlined by scripts/bundle.mjs.
const base64 = '${bytes.toString('base64')}';
export function coreModuleBytes(name) {
  if (name !== '${wasmName}') throw new Error(\`durable-core: no inlined core module named \${name}\`);
  return typeof Buffer === 'function'
    ? Buffer.from(base64, 'base64')
    : Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
`,
      };
    });
  },
};

const common = {
  absWorkingDir: pkgDir,
  entryPoints,
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  legalComments: 'none',
};

rmSync(new URL(`../${nodeDir}`, import.meta.url), { recursive: true, force: true });
await build({ ...common, outdir: nodeDir, packages: 'external' });

rmSync(new URL(`../${bundlerDir}`, import.meta.url), { recursive: true, force: true });
const result = await build({
  ...common,
  outdir: bundlerDir,
  // Loaded on demand by LambdaServiceClient when no command classes are passed: the user's (or
  // the Lambda runtime's) copy, never a bundled one.
  external: ['@aws-sdk/client-lambda'],
  plugins: [inlineWasm],
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
if (!inputs.includes('durable-core-inline:core-wasm-inline.js') || inputs.some((f) => f.endsWith('src/core-wasm.js'))) {
  throw new Error(`the bundler build did not replace src/core-wasm.js (inputs: ${inputs.join(', ')})`);
}
