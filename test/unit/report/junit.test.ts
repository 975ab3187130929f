import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/report/junit.js';
import { EVIL_EVIDENCE, makeRunResult } from './fixture.js';
import { findAll, parseXml } from './xml.js';

describe('renderJunit', () => {
  const result = makeRunResult();
  const xml = renderJunit(result);
  const doc = parseXml(xml);

  it('is well-formed XML with one testsuite per scenario and one testcase per SLO', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(doc.name).toBe('testsuites');
    const suites = findAll(doc, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = findAll(doc, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(result.slos.map((s) => s.id));
    expect(cases.every((c) => c.attrs.classname === 'chaos.pod-kill-under-load')).toBe(true);
  });

  it('counts failures and errors on the suite; the root has no attributes (Ant allows none)', () => {
    const suite = findAll(doc, 'testsuite')[0];
    expect(suite?.attrs).toMatchObject({
      name: 'pod-kill-under-load',
      tests: '5',
      failures: '1',
      errors: '1',
      skipped: '0',
    });
    expect(doc.attrs).toEqual({});
    expect(findAll(doc, 'failure')).toHaveLength(1);
    expect(findAll(doc, 'error')).toHaveLength(1);
    expect(findAll(doc, 'skipped')).toHaveLength(0);
  });

  it('puts the evidence, escaped, into the failure message', () => {
    const failed = findAll(doc, 'testcase').find((c) => c.attrs.name === 'latency-p99-fault');
    const failure = failed?.children[0];
    expect(failure?.name).toBe('failure');
    expect(failure?.attrs.message).toBe(EVIL_EVIDENCE);
    expect(failure?.attrs.type).toBe('latency-percentile');
    expect(failure?.text).toContain('measured:  431.7 ms');
    expect(failure?.text).toContain('threshold: <= 300 ms');
    expect(xml).toContain('&lt;terminating&gt; &amp; endpoints reported &quot;2/3&quot; ready');
    expect(xml).not.toContain('<terminating>');
  });

  it('marks INCONCLUSIVE as an error so CI shows it as not passed', () => {
    const inconclusive = findAll(doc, 'testcase').find((c) => c.attrs.name === 'prediction-agreement-fault');
    expect(inconclusive?.children.map((c) => c.name)).toEqual(['error']);
    expect(inconclusive?.children[0]?.attrs.type).toBe('INCONCLUSIVE');
    expect(inconclusive?.children[0]?.attrs.message).toContain('Only 12 of 200');
  });

  it('writes durations and a zone-less UTC timestamp', () => {
    const suite = findAll(doc, 'testsuite')[0];
    expect(suite?.attrs.time).toBe('143.500');
    expect(suite?.attrs.timestamp).toBe('2026-11-23T15:29:42');
    const baseline = findAll(doc, 'testcase').find((c) => c.attrs.name === 'latency-p95-baseline');
    expect(baseline?.attrs.time).toBe('40.000');
  });

  it('records run metadata as properties and the console summary as system-out', () => {
    const props: Record<string, string | undefined> = Object.fromEntries(
      findAll(doc, 'property').map((p) => [p.attrs.name ?? '', p.attrs.value]),
    );
    expect(props).toMatchObject({
      'chaos.runId': result.runId,
      'chaos.verdict': 'FAIL',
      'chaos.startedAt': result.startedAt,
      'chaos.label.team': 'ml-platform',
    });
    const out = findAll(doc, 'system-out')[0];
    expect(out?.text).toContain('chaos FAIL: pod-kill-under-load');
    expect(out?.text).toContain('pod-kill [injected and reverted]');
  });

  it('adds a run-verdict case when the run is worse than every SLO', () => {
    const run = makeRunResult({
      verdict: 'INCONCLUSIVE',
      exitCode: 4,
      reasons: ['fault pod-kill matched no pods: selector app=fraud-scorer-typo'],
      slos: makeRunResult().slos.map((s) => ({ ...s, verdict: 'PASS' as const })),
    });
    const parsed = parseXml(renderJunit(run));
    const cases = findAll(parsed, 'testcase');
    expect(cases).toHaveLength(6);
    const runCase = cases[5];
    expect(runCase?.attrs.name).toBe('run-verdict');
    expect(runCase?.children[0]?.name).toBe('error');
    expect(runCase?.children[0]?.attrs.message).toContain('selector app=fraud-scorer-typo');
    expect(findAll(parsed, 'testsuite')[0]?.attrs.errors).toBe('1');
  });

  it('does not add a run-verdict case when an SLO explains the verdict', () => {
    expect(findAll(doc, 'testcase').some((c) => c.attrs.name === 'run-verdict')).toBe(false);
  });

  it('survives control characters and keeps newlines in attributes', () => {
    const run = makeRunResult();
    const first = run.slos[1];
    if (!first) throw new Error('fixture changed');
    run.slos = [{ ...first, id: 'weird"<id>&', evidence: 'line one\nline two\u0000\u001b[31m\ttab' }];
    const xmlText = renderJunit(run);
    const parsed = parseXml(xmlText);
    const testcase = findAll(parsed, 'testcase')[0];
    expect(testcase?.attrs.name).toBe('weird"<id>&');
    expect(testcase?.children[0]?.attrs.message).toBe('line one\nline two\uFFFD\uFFFD[31m\ttab');
  });

  it('renders several runs as several testsuites, each with its counts and its id', () => {
    const a = makeRunResult();
    const b = makeRunResult({
      scenario: { ...a.scenario, name: 'node-drain' },
      verdict: 'PASS',
      exitCode: 0,
    });
    b.slos = b.slos.map((s) => ({ ...s, verdict: 'PASS' as const }));
    const parsed = parseXml(renderJunit([a, b]));
    expect(findAll(parsed, 'testsuite').map((s) => s.attrs.name)).toEqual([
      'pod-kill-under-load',
      'node-drain',
    ]);
    expect(findAll(parsed, 'testsuite').map((s) => s.attrs)).toMatchObject([
      { tests: '5', failures: '1', errors: '1', id: '0', package: 'chaos' },
      { tests: '5', failures: '0', errors: '0', id: '1', package: 'chaos' },
    ]);
  });

  it('keeps a suite with no SLOs meaningful', () => {
    const run = makeRunResult({
      slos: [],
      verdict: 'INCONCLUSIVE',
      exitCode: 130,
      reasons: ['interrupted by SIGINT'],
    });
    const parsed = parseXml(renderJunit(run));
    expect(findAll(parsed, 'testcase').map((c) => c.attrs.name)).toEqual(['run-verdict']);
  });

  it('has a testcase per k6 threshold; a crossed one is a failure that explains the run FAIL', () => {
    const run = makeRunResult({
      thresholds: [
        { metric: 'http_req_duration', expression: 'p(95)<250', ok: false },
        { metric: 'http_req_failed', expression: 'rate<0.01', ok: true },
      ],
    });
    run.slos = run.slos.map((s) => ({ ...s, verdict: 'PASS' as const }));
    const parsed = parseXml(renderJunit(run));
    const cases = findAll(parsed, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual([
      ...run.slos.map((s) => s.id),
      'k6 threshold http_req_duration p(95)<250',
      'k6 threshold http_req_failed rate<0.01',
    ]);
    const crossed = cases.find((c) => c.attrs.name === 'k6 threshold http_req_duration p(95)<250');
    expect(crossed?.children[0]?.name).toBe('failure');
    expect(crossed?.children[0]?.attrs).toMatchObject({
      type: 'k6Threshold',
      message: 'k6 threshold p(95)<250 on http_req_duration crossed',
    });
    expect(cases.find((c) => c.attrs.name === 'k6 threshold http_req_failed rate<0.01')?.children).toEqual(
      [],
    );
    // The crossed threshold already says why the run FAILs: no extra run-verdict case.
    expect(findAll(parsed, 'testsuite')[0]?.attrs).toMatchObject({
      tests: String(run.slos.length + 2),
      failures: '1',
      errors: '0',
    });
  });
});
