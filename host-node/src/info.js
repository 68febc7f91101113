// Which contract and which rules this process loaded.

import { call } from './component.js';

let info; // constant for a given core module, so read once

export function coreInfo() {
  return (info ??= Object.freeze(call('describe', (live) => live.info.describe())));
}
