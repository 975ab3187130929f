/**
 * promtool and prometheus for the tests: Debian's package at testbed/versions.env's PROMETHEUS_VERSION,
 * extracted by scripts/install-system-deps.sh into the testbed's build cache (PROMTOOL_BIN / PROMETHEUS_BIN
 * override). Missing is a failure that says how to get them, never a skip.
 */
import { findBinary } from '../../../src/adapters/binary.js';

const HINT = 'run `bash scripts/install-system-deps.sh` (extracts them from Debian’s prometheus package)';

export function findPrometheusTool(name: 'promtool' | 'prometheus'): string {
  return findBinary({
    name,
    envVar: name === 'promtool' ? 'PROMTOOL_BIN' : 'PROMETHEUS_BIN',
    hint: HINT,
    notFound: (cache) =>
      `${name} was not found (${name === 'promtool' ? 'PROMTOOL_BIN' : 'PROMETHEUS_BIN'}, PATH, ${cache}): ${HINT}`,
  });
}
