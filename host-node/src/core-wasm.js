// The core module's bytes, read from gen/ beside this package: what Node loads (the fastest cold
// start). The bundler build (dist/bundler/, the `module` condition of package.json's exports,
// made by scripts/bundle.mjs) replaces this module with one carrying the bytes inside the JS, so
// a bundled handler needs no file beside it.

import { createRequire } from 'node:module';

// `import 'node:fs'` costs about 1.4 ms of ESM set-up on Node 20, a fifth of the cold start;
// process.getBuiltinModule (Node 20.16+) is free, and node:module's facade is small.
const { readFileSync } = process.getBuiltinModule?.('node:fs') ?? createRequire(import.meta.url)('node:fs');

/** The bytes of jco's core module `name` (gen/durable_core.core.wasm). */
export function coreModuleBytes(name) {
  let path;
  try {
    path = new URL(`../gen/${name}`, import.meta.url);
    return readFileSync(path);
  } catch (cause) {
    throw new Error(
      `durable-core could not read its WebAssembly core module ${path ?? name}: ${cause?.message ?? cause}. ` +
        "A bundler must resolve the package with the 'module' condition (esbuild, webpack and rollup do " +
        'unless custom conditions replace their defaults), which selects the build with the module inlined; ' +
        'in a checkout, run scripts/build-component.',
      { cause },
    );
  }
}
