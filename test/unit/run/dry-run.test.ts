/** `chaos run --dry-run`: its own verdict, DRY-RUN with exit 0, and every renderer says so plainly. */
import { describe, expect, it } from 'vitest';
import { dryRun } from '../../../src/run/run-scenario.js';
import { postmortem } from '../../../src/gameday/postmortem/index.js';
import { renderGameDayMarkdown } from '../../../src/gameday/render.js';
import { renderConsoleSummary } from '../../../src/report/console.js';
import { renderHtmlReport } from '../../../src/report/html.js';
import { renderJunit } from '../../../src/report/junit.js';
import { renderMarkdownSummary } from '../../../src/report/markdown.js';
import { seededRandom } from '../../../src/run/random.js';
import { judgedVerdict } from '../../../src/verdict/result.js';
import { FakeKube } from '../../fakes/kube.js';
import { makePlan } from '../../fakes/scenario.js';
import { recordingOutput } from '../cli/output.js';
import { findAll, parseXml } from '../report/xml.js';
import { loadResult, makeGameDay } from '../../fixtures/results/gameday.js';

async function dryRunResult() {
  const kube = new FakeKube(true);
  kube.addPods({ name: 'fraud-scorer-a' }, { name: 'fraud-scorer-b' });
  const out = recordingOutput();
  const result = await dryRun(makePlan(), kube.asKube(), out, seededRandom(1));
  return { result, out, kube };
}

describe('a dry run', () => {
  it('is DRY-RUN with exit 0, judged nothing and wrote nothing', async () => {
    const { result, out, kube } = await dryRunResult();
    expect(result.verdict).toBe('DRY-RUN');
    expect(result.exitCode).toBe(0);
    expect([result.slos, result.faults, kube.writes]).toEqual([[], [], 0]);
    expect(out.err.join('\n')).toMatch(/^chaos DRY-RUN: pod-kill \(exit 0\)$/m);
    expect(out.err.join('\n')).toMatch(/^ {2}\(a dry run judges no SLO\)$/m);
    expect(out.err.join('\n')).not.toMatch(/^SLOs: /m);
    expect(out.err.join('\n')).not.toContain('INCONCLUSIVE');
  });

  it('is a skipped testcase in junit.xml: not an error, not a pass', async () => {
    const { result } = await dryRunResult();
    const doc = parseXml(renderJunit(result));
    expect(findAll(doc, 'testsuite')[0]?.attrs).toMatchObject({
      tests: '1',
      failures: '0',
      errors: '0',
      skipped: '1',
    });
    const [testcase] = findAll(doc, 'testcase');
    expect(testcase?.attrs.name).toBe('run-verdict');
    expect(testcase?.children.map((c) => c.name)).toEqual(['skipped']);
    expect(testcase?.children[0]?.attrs.message).toContain(
      'run DRY-RUN (exit 0): dry run: nothing was injected',
    );
    expect(findAll(doc, 'error')).toHaveLength(0);
  });

  it('has its own badge colour in report.html and its word in summary.md and the console', async () => {
    const { result } = await dryRunResult();
    const html = renderHtmlReport(result);
    expect(html).toContain('<span class="badge v-DRY-RUN big">DRY-RUN</span>');
    expect(html).toMatch(/\.v-DRY-RUN\{color:var\(--dry\)/);
    expect(html).toMatch(/\.v-border-DRY-RUN\{/);
    expect(renderMarkdownSummary(result)).toContain('**Verdict: DRY-RUN** (exit code 0)');
    expect(renderConsoleSummary(result, { color: true })).toContain('\u001b[36mDRY-RUN\u001b[0m');
  });

  it('counts as INCONCLUSIVE, never as PASS, where runs are ranked (game days)', () => {
    expect(judgedVerdict('DRY-RUN')).toBe('INCONCLUSIVE');
    for (const v of ['PASS', 'FAIL', 'INCONCLUSIVE'] as const) expect(judgedVerdict(v)).toBe(v);
    const g = makeGameDay([{ ...loadResult('pod-kill-pass'), verdict: 'DRY-RUN' }]);
    expect(postmortem(g).impact.scenarios[0]?.verdict).toBe('INCONCLUSIVE');
    expect(renderGameDayMarkdown(g)).toContain('0 passed, 0 failed, 1 inconclusive, 0 skipped');
  });
});
