import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/report/junit.js';
import type { RunResult } from '../../../src/verdict/result.js';
import { loadResult, type ResultFixture } from '../../fixtures/results/gameday.js';
import { EVIL_EVIDENCE, makeQualityRunResult, makeRunResult } from '../../unit/report/fixture.js';
import { findAll, parseXml } from '../../unit/report/xml.js';

/**
 * junit.xml against the schemas real consumers check, with libxml2's validator (Debian libxml2-utils, installed
 * by scripts/install-system-deps.sh). xmllint missing is a failure, not a skip: a skipped schema test is how a
 * report Jenkins rejects ships.
 */

const SCHEMA_DIR = fileURLToPath(new URL('../../fixtures/junit-schemas/', import.meta.url));
const SCHEMAS = {
  'Jenkins xUnit junit-10.xsd': join(SCHEMA_DIR, 'jenkins-xunit-junit-10.xsd'),
  'Ant JUnit.xsd': join(SCHEMA_DIR, 'ant-junit.xsd'),
} as const;
const RESULTS_DIR = fileURLToPath(new URL('../../fixtures/results/', import.meta.url));
const XMLLINT = process.env.XMLLINT_PATH ?? 'xmllint';
const OUT = mkdtempSync(join(tmpdir(), 'chaos-junit-xsd-'));

function requireXmllint(): void {
  const probe = spawnSync(XMLLINT, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `xmllint not found (${XMLLINT}): the JUnit schema test needs it. Run scripts/install-system-deps.sh ` +
        '(apt-get install -y libxml2-utils) or point XMLLINT_PATH at it.',
    );
  }
}

/** xmllint's verdict on one document: '' when it validates, else its messages. */
function validate(xml: string, schema: string, name: string): string {
  requireXmllint();
  const file = join(OUT, `${name}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync(XMLLINT, ['--noout', '--nonet', '--schema', schema, file], { encoding: 'utf8' });
  if (r.status === 0) return '';
  return `exit ${r.status}: ${r.stderr}`;
}

// Every committed result fixture, found by listing the directory, so a new fixture is covered without an edit.
const fixtures = readdirSync(RESULTS_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => basename(f, '.json') as ResultFixture);

const dryRun = (): RunResult => {
  const run = makeRunResult({ verdict: 'DRY-RUN', exitCode: 0, reasons: [] });
  run.slos = [];
  return run;
};

const documents: Array<[string, () => string]> = [
  ...fixtures.map((name): [string, () => string] => [`fixture ${name}`, () => renderJunit(loadResult(name))]),
  ['every fixture as one document (a game day)', () => renderJunit(fixtures.map((n) => loadResult(n)))],
  ['the hostile-evidence run (FAIL + INCONCLUSIVE)', () => renderJunit(makeRunResult())],
  ['a run with answers captured', () => renderJunit(makeQualityRunResult())],
  ['a dry run (skipped)', () => renderJunit(dryRun())],
  [
    'an interrupted run with no SLOs, no context, no duration',
    () =>
      renderJunit(
        makeRunResult({
          slos: [],
          verdict: 'INCONCLUSIVE',
          exitCode: 130,
          reasons: ['interrupted by SIGINT'],
          durationS: -1,
          cluster: { context: '', namespace: 'ml-serving' },
        }),
      ),
  ],
  [
    'k6 thresholds, one crossed',
    () =>
      renderJunit(
        makeRunResult({
          thresholds: [
            { metric: 'http_req_duration', expression: 'p(95)<250', ok: false },
            { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
          ],
        }),
      ),
  ],
];

describe('junit.xml validates against the schemas CI consumers use', () => {
  it('has at least the nine committed result fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
  });

  for (const [label, render] of documents) {
    for (const [schemaName, schema] of Object.entries(SCHEMAS)) {
      it(`${label} — ${schemaName}`, () => {
        const xml = render();
        expect(validate(xml, schema, `${label.replace(/\W+/g, '_')}-${basename(schema)}`)).toBe('');
      });
    }
  }

  it('keeps INCONCLUSIVE an <error> in a document that validates', () => {
    const xml = renderJunit(makeRunResult());
    const errors = findAll(parseXml(xml), 'error');
    expect(errors.map((e) => e.attrs.type)).toEqual(['INCONCLUSIVE']);
    expect(findAll(parseXml(xml), 'failure')[0]?.attrs.message).toBe(EVIL_EVIDENCE);
  });

  // The validator itself must be able to say no, or every test above passes vacuously.
  it('rejects the two attributes that failed Jenkins before, and a root with totals under Ant', () => {
    const xml = renderJunit(makeRunResult());
    const withFile = xml.replace('<testcase ', '<testcase file="scenarios/pod-kill.yaml" ');
    expect(validate(withFile, SCHEMAS['Jenkins xUnit junit-10.xsd'], 'neg-file')).toMatch(/file/);
    const withSkipped = xml.replace('<testsuites>', '<testsuites skipped="0">');
    expect(validate(withSkipped, SCHEMAS['Jenkins xUnit junit-10.xsd'], 'neg-skipped')).toMatch(/skipped/);
    const withTotals = xml.replace('<testsuites>', '<testsuites tests="5">');
    expect(validate(withTotals, SCHEMAS['Ant JUnit.xsd'], 'neg-totals')).toMatch(/tests/);
    const noErr = xml.replace('<system-err/>', '');
    expect(validate(noErr, SCHEMAS['Ant JUnit.xsd'], 'neg-system-err')).toMatch(/system-err/);
  });
});
