// `npm pack` / `npm publish` run this first (package.json "prepack"). In a durable-core checkout
// it builds the component into gen/ with scripts/build-component (nothing to do when it is newer
// than its sources); anywhere else it insists that gen/ is complete. Then it builds dist/bundler/
// (scripts/bundle.mjs). It never lets a package without the component through.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const fail = (why) => {
  console.error(`durable-core prepack: ${why}`);
  process.exit(1);
};

const script = here('../../scripts/build-component');
if (existsSync(script)) {
  const done = spawnSync(script, { cwd: here('../..'), stdio: 'inherit' });
  if (done.status !== 0) {
    fail(
      `scripts/build-component failed (${done.error?.message ?? `exit ${done.status}`}), so no package is made ` +
        'without the WebAssembly component. Run scripts/setup once (Rust wasm target, jco), then npm pack again.',
    );
  }
}
const required = ['gen/durable_core.js', 'gen/durable_core.d.ts', 'gen/durable_core.core.wasm'];
const missing = required.filter((f) => !existsSync(here(`../${f}`)));
if (missing.length > 0) {
  fail(
    `${missing.join(', ')} missing in ${here('..')}, and there is no scripts/build-component beside the package to ` +
      'build them: pack from a durable-core checkout, where scripts/build-component builds the component into gen/.',
  );
}
try {
  await import('./bundle.mjs');
} catch (cause) {
  fail(`building dist/bundler/ failed: ${cause?.message ?? cause} (esbuild is a devDependency: npm ci first)`);
}
