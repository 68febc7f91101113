// Profiles named after the SDK release they reproduce (`python@3.0.0`, `ts@2.4.0`), their
// aliases (`python`, `ts`: the family's newest release) and `unified`. The table is the core's
// (`info.profiles`), read once; hosts only look names up in it.

import { call } from './component.js';
import { badValue, wrongType } from './errors.js';

const WELL_FORMED = /^(unified|python|ts)(@[0-9A-Za-z.+-]+)?$/;

let table; // frozen ProfileInfo[]
let byName; // every accepted name -> ProfileInfo

function load() {
  const infos = call('profiles', (live) => live.info.profiles());
  table = Object.freeze(
    infos.map(({ name, family, alias, reproduces }, i) =>
      Object.freeze({ name, family, alias: alias ?? null, reproduces, releaseId: i + 1 }),
    ),
  );
  byName = new Map(table.map((p) => [p.name, p]));
  for (const p of table) if (p.alias !== null) byName.set(p.alias, p);
  return byName;
}

/** Every profile the loaded core knows, oldest release of each family first. */
export function profiles() {
  if (!table) load();
  return table;
}

/** The profile a `profile` option names (a release, a family alias or `unified`), or a typed error. */
export function profileInfo(value, field = 'profile') {
  // Names that cannot be a profile are rejected before the core is reached.
  if (typeof value !== 'string' || !WELL_FORMED.test(value)) {
    const expected = '"unified", "python", "ts" or a release profile "python@<version>" / "ts@<version>"';
    throw typeof value === 'string' ? badValue(field, value, expected) : wrongType(field, value, expected);
  }
  const names = byName ?? load();
  const found = typeof value === 'string' ? names.get(value) : undefined;
  if (found) return found;
  const expected = [...names.keys()].map((n) => JSON.stringify(n)).join(', ');
  throw typeof value === 'string' ? badValue(field, value, `one of ${expected}`) : wrongType(field, value, `one of ${expected}`);
}

/** The rule family (the WIT `profile` enum) of a `profile` option: what retry and step key on. */
export function profileFamily(value, field = 'profile') {
  if (value === 'unified' || value === 'python' || value === 'ts') return value;
  return profileInfo(value, field).family;
}
