// Builds dist/bundler/: the package for bundlers (the `module` condition of package.json's
// exports, which esbuild, webpack and rollup apply by default and Node ignores). The same source,
// with src/core-wasm.js (which reads gen/durable_core.core.wasm from beside the package) replaced
// by a module carrying those bytes, so a bundled handler is one file. One entry per exported
// subpath, code-split so `durable-core` and `durable-core/step` share one component instance.
// Run by `npm pack` (scripts/prepack.mjs); needs the devDependency esbuild.
//   node scripts/bundle.mjs

import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const outdir = 'dist/bundler';

// Every exported subpath with a `module` condition must be ./dist/bundler/<name of its default>.
const entryPoints = [];
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object') continue;
  const base = target.default.replace(/^\.\/src\//, '');
  if (target.module !== `./${outdir}/${base}`) {
    throw new Error(`package.json exports["${subpath}"].module must be "./${outdir}/${base}" (is ${JSON.stringify(target.module)})`);
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

rmSync(new URL(`../${outdir}`, import.meta.url), { recursive: true, force: true });
const result = await build({
  absWorkingDir: pkgDir,
  entryPoints,
  outdir,
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Loaded on demand by LambdaServiceClient when no command classes are passed: the user's (or
  // the Lambda runtime's) copy, never a bundled one.
  external: ['@aws-sdk/client-lambda'],
  plugins: [inlineWasm],
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
});
const inputs = Object.keys(result.metafile.inputs);
if (!inputs.includes('durable-core-inline:core-wasm-inline.js') || inputs.some((f) => f.endsWith('src/core-wasm.js'))) {
  throw new Error(`the bundler build did not replace src/core-wasm.js (inputs: ${inputs.join(', ')})`);
}
