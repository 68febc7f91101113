// The npm package as users get it: `npm pack` (whose prepack builds the component or refuses),
// installed offline into a fresh project in a temporary directory outside the repository, then
// used through `import`, `require`, a one-file esbuild bundle run with nothing beside it, and
// TypeScript consumers under module nodenext (ESM and CommonJS), bundler and commonjs.
//
// New subpaths: add them to package.json `exports` (types / module / default, following the
// existing entries) and `typesVersions`; the checks below cover every exported subpath.
//
// Node: only the Node 20 on this machine is tested (v20.19+ is what `engines` admits on the 20
// line; `require()` of the ESM package relies on Node's require(esm), v20.19+ / v22.12+).

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const hostDir = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(hostDir, 'package.json'), 'utf8'));
// Two TypeScript generations: 5.9 (module commonjs means node10 resolution, which ignores
// `exports`: typesVersions serves it) and 7 (the native compiler, what a new project installs).
const compilers = { 'TypeScript 5.9': 'typescript', 'TypeScript 7': 'typescript-7' };
const subpaths = Object.keys(pkg.exports).filter((k) => typeof pkg.exports[k] === 'object');
const specifier = (subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`);

const work = mkdtempSync(join(tmpdir(), 'durable-core-npm-'));
const app = join(work, 'app');
let tarball;

function run(command, args, cwd, { fails = false } = {}) {
  const done = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 300_000 });
  if (!fails) assert.equal(done.status, 0, `${command} ${args.join(' ')} in ${cwd}:\n${done.stdout}\n${done.stderr}`);
  return done;
}

before(() => {
  const packed = run('npm', ['pack', '--json', '--pack-destination', work], hostDir);
  tarball = join(work, JSON.parse(packed.stdout)[0].filename);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], app);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('every exported subpath has its types, its bundler build and a typesVersions entry', () => {
  assert.deepEqual(subpaths.slice(0, 2), ['.', './step']);
  const installed = join(app, 'node_modules', pkg.name);
  for (const subpath of subpaths) {
    const target = pkg.exports[subpath];
    assert.deepEqual(Object.keys(target), ['types', 'module', 'default'], subpath);
    for (const file of Object.values(target)) assert.ok(existsSync(join(installed, file)), `${subpath}: ${file} in the tarball`);
    if (subpath !== '.') assert.deepEqual(pkg.typesVersions['*'][subpath.slice(2)], [target.types], `typesVersions for ${subpath}`);
  }
  assert.equal(pkg.types, pkg.exports['.'].types);
});

test('lib/ (what Node loads) exports what src/ does, entry by entry, and is built from the current src/', async () => {
  for (const subpath of subpaths) {
    const { types, default: built } = pkg.exports[subpath];
    const source = types.replace(/\.d\.ts$/, '.js');
    const [fromSource, fromLib] = await Promise.all([import(join(hostDir, source)), import(join(hostDir, built))]);
    assert.deepEqual(Object.keys(fromLib).sort(), Object.keys(fromSource).sort(), subpath);
    const newestSource = Math.max(...readdirSync(join(hostDir, 'src')).map((f) => statSync(join(hostDir, 'src', f)).mtimeMs));
    assert.ok(statSync(join(hostDir, built)).mtimeMs >= newestSource, `${built} is older than src/: run npm run build`);
  }
});

test('the tarball carries the component, the licence and no tests', () => {
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const file of ['LICENSE', 'README.md', 'gen/durable_core.core.wasm', 'gen/durable_core.js', 'src/index.js', 'lib/index.js', 'dist/bundler/index.js']) {
    assert.ok(listing.includes(`package/${file}`), file);
  }
  assert.ok(!listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/bench/')));
  const core = readFileSync(join(app, 'node_modules', pkg.name, 'gen', 'durable_core.core.wasm'));
  assert.ok(core.equals(readFileSync(join(hostDir, 'gen', 'durable_core.core.wasm'))));
});

const program = (load) => `
const root = ${load(specifier('.'))};
const stepApi = ${load(specifier('./step'))};
const others = [${subpaths.map((s) => load(specifier(s))).join(', ')}];
const c = root.classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: expired', profile: 'python' });
console.log(JSON.stringify({ rule: c.rule, id: stepApi.step.operationId('ts', '1', 2).id, sizes: others.map((m) => Object.keys(m).length) }));
`;
const expected = { rule: 'stale-checkpoint-token', id: '98c6f2c2287f4c73' };

function check(stdout) {
  const got = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.deepEqual({ rule: got.rule, id: got.id }, expected);
  assert.equal(got.sizes.length, subpaths.length);
  for (const size of got.sizes) assert.ok(size > 0);
}

test('the installed package works through import', () => {
  writeFileSync(join(app, 'esm.mjs'), program((s) => `await import('${s}')`));
  check(run('node', ['esm.mjs'], app).stdout);
});

test('the installed package works through require', () => {
  writeFileSync(join(app, 'cjs.cjs'), program((s) => `require('${s}')`));
  const done = run('node', ['cjs.cjs'], app);
  check(done.stdout);
});

for (const format of ['cjs', 'esm']) {
  test(`a handler bundled by esbuild (${format}) into one file runs with nothing beside it`, async () => {
    const handler = join(app, `handler-${format}.mjs`);
    writeFileSync(
      handler,
      `import { classifyApiError } from 'durable-core';\nimport { step } from 'durable-core/step';\n` +
        `export const handler = async (event) => ({ rule: classifyApiError(event).rule, id: step.operationId('ts', '1', 2).id });\n`,
    );
    const lambda = join(work, `lambda-${format}`);
    const outfile = join(lambda, format === 'cjs' ? 'index.js' : 'index.mjs');
    const result = await build({ entryPoints: [handler], bundle: true, platform: 'node', target: 'node20', format, outfile, logLevel: 'silent' });
    assert.deepEqual(result.warnings, []);
    const runner = `import('./${outfile.split('/').at(-1)}').then(async (m) => console.log(JSON.stringify(await (m.handler ?? m.default.handler)(` +
      `{ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: expired', profile: 'python' }))))`;
    const done = run('node', ['-e', runner], lambda);
    assert.deepEqual(JSON.parse(done.stdout), expected);
    assert.deepEqual(execFileSync('ls', [lambda], { encoding: 'utf8' }).trim().split('\n'), [outfile.split('/').at(-1)]);
  });
}

// TypeScript consumers: one tiny project per module setting, importing every exported subpath.
const tsSource = `import { classifyApiError, type Classification } from 'durable-core';
import { step } from 'durable-core/step';
${subpaths.map((s, i) => `import * as sub${i} from '${specifier(s)}';`).join('\n')}
const c: Classification = classifyApiError({ status: 400, code: 'InvalidParameterValueException', message: 'Invalid checkpoint token: expired', profile: 'python' });
const id: string = step.operationId('ts', '1', 2).id;
const sizes: number[] = [${subpaths.map((_, i) => `Object.keys(sub${i}).length`).join(', ')}];
console.log(JSON.stringify({ rule: c.rule, id, sizes }));
`;
const strict = { strict: true, skipLibCheck: false, noEmitOnError: true, target: 'es2022', types: [], outDir: 'out' };
const tsProjects = {
  'nodenext-esm': { type: 'module', compilerOptions: { ...strict, module: 'nodenext' }, run: true },
  'nodenext-cjs': { type: 'commonjs', compilerOptions: { ...strict, module: 'nodenext' }, run: true },
  bundler: { type: 'module', compilerOptions: { ...strict, module: 'esnext', moduleResolution: 'bundler' }, run: 'esbuild' },
  commonjs: { type: 'commonjs', compilerOptions: { ...strict, module: 'commonjs', esModuleInterop: true }, run: true },
};
for (const [compiler, tsPackage] of Object.entries(compilers)) {
  const tsc = join(hostDir, 'node_modules', tsPackage, 'bin', 'tsc');
  for (const [name, project] of Object.entries(tsProjects)) test(`${compiler} resolves every subpath under ${name}`, async () => {
    const version = JSON.parse(readFileSync(join(hostDir, 'node_modules', tsPackage, 'package.json'), 'utf8')).version;
    assert.ok(version.startsWith(`${compiler.split(' ')[1]}.`), `${compiler} is ${version}`);
    const dir = join(app, `ts-${tsPackage}-${name}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: project.type }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: project.compilerOptions, files: ['index.ts'] }));
    writeFileSync(join(dir, 'index.ts'), tsSource);
    run('node', [tsc, '-p', dir], dir);
    if (project.run === 'esbuild') {
      await build({ entryPoints: [join(dir, 'index.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'out', 'index.mjs'), logLevel: 'silent' });
      check(run('node', [join(dir, 'out', 'index.mjs')], dir).stdout);
    } else {
      check(run('node', [join(dir, 'out', 'index.js')], dir).stdout);
    }
  });
}

// Refusals: never a package without the component.
function copyPackage(dest, { withGen }) {
  for (const entry of ['package.json', 'src', 'scripts', 'LICENSE', 'README.md', ...(withGen ? ['gen'] : [])]) {
    cpSync(join(hostDir, entry), join(dest, entry), { recursive: true });
  }
  return dest;
}

test('npm pack refuses outside a checkout when gen/ is missing, naming scripts/build-component', () => {
  const dir = copyPackage(join(work, 'lone'), { withGen: false });
  const done = run('npm', ['pack', '--pack-destination', work], dir, { fails: true });
  assert.notEqual(done.status, 0);
  assert.match(done.stderr, /gen\/durable_core\.js.*missing.*scripts\/build-component/s);
  assert.ok(!existsSync(join(dir, 'durable-core-0.1.0.tgz')));
});

test('npm pack refuses when scripts/build-component fails', () => {
  const repo = join(work, 'broken-repo');
  const dir = copyPackage(join(repo, 'host-node'), { withGen: true });
  mkdirSync(join(repo, 'scripts'));
  writeFileSync(join(repo, 'scripts', 'build-component'), "#!/bin/sh\necho 'no wasm32 target here' >&2\nexit 3\n", { mode: 0o755 });
  const done = run('npm', ['pack', '--pack-destination', repo], dir, { fails: true });
  assert.notEqual(done.status, 0);
  assert.match(done.stderr, /no wasm32 target here/);
  assert.match(done.stderr, /scripts\/build-component failed \(exit 3\)/);
  assert.deepEqual(execFileSync('ls', [repo], { encoding: 'utf8' }).trim().split('\n').sort(), ['host-node', 'scripts']);
});
