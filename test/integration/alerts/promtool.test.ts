/**
 * `chaos alerts` as users run it, checked by Prometheus's own tool: the output passes `promtool check rules`
 * (the rules file and the PrometheusRule's groups), equals the committed golden files, and the committed
 * `promtool test rules` cases (test/promtool/) show each alert firing when it should and not otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chaos, ensureBuilt, ROOT, STACK_FRAME } from '../cli/helpers.js';
import { findPrometheusTool } from './prometheus-binaries.js';

let dir: string;
let promtool: string;
beforeAll(() => {
  promtool = findPrometheusTool('promtool');
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-alerts-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(promtool, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** promtool reads rule files, not Kubernetes objects: the manifest's groups, as a rules file. */
function manifestGroups(file: string): string {
  const manifest = parse(readFileSync(file, 'utf8')) as { spec: { groups: unknown[] } };
  const out = path.join(dir, `${path.basename(file)}.groups.yaml`);
  writeFileSync(out, JSON.stringify({ groups: manifest.spec.groups }));
  return out;
}

describe('chaos alerts', () => {
  it('writes scenarios/pod-kill.yaml as the committed golden files, and promtool checks both', () => {
    const out = path.join(dir, 'pod-kill');
    const r = chaos(['alerts', 'scenarios/pod-kill.yaml', '--out-dir', out]);
    expect(r.stderr).toContain(
      'chaos alerts: 4 alerting and 14 recording rules for 1 scenario(s), SLO period 30d',
    );
    expect(r.code).toBe(0);
    for (const name of ['pod-kill.rules.yaml', 'pod-kill.prometheusrule.yaml']) {
      expect(readFileSync(path.join(out, name), 'utf8')).toBe(
        readFileSync(path.join(ROOT, 'test/fixtures/alerts', name), 'utf8'),
      );
    }
    const rules = run(['check', 'rules', path.join(out, 'pod-kill.rules.yaml')]);
    expect(rules.out).toContain('SUCCESS: 18 rules found');
    expect(rules.code).toBe(0);
    const manifest = run(['check', 'rules', manifestGroups(path.join(out, 'pod-kill.prometheusrule.yaml'))]);
    expect(manifest.out).toContain('SUCCESS: 18 rules found');
    expect(manifest.code).toBe(0);
  });

  it('passes the committed promtool rule tests (each alert fires when it should and not otherwise)', () => {
    const tests = readdirSync(path.join(ROOT, 'test/promtool'))
      .filter((n) => n.endsWith('.test.yaml'))
      .map((n) => path.join('test/promtool', n));
    expect(tests.length).toBeGreaterThan(0);
    const r = run(['test', 'rules', ...tests]);
    expect(r.out, r.out).toContain('SUCCESS');
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  });

  it('writes one group per scenario of a suite, a PrometheusRule with the given name, namespace and labels', () => {
    const rulesFile = path.join(dir, 'weekly', 'rules.yaml');
    const manifestFile = path.join(dir, 'weekly', 'rule.yaml');
    const r = chaos([
      'alerts',
      'gamedays/weekly.yaml',
      '--rules-file',
      rulesFile,
      '--manifest-file',
      manifestFile,
      '--period',
      '28d',
      '--namespace',
      'monitoring',
      '--label',
      'release=prometheus',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rules = parse(readFileSync(rulesFile, 'utf8')) as {
      groups: Array<{ name: string; rules: Array<{ expr: string }> }>;
    };
    expect(rules.groups.map((g) => g.name)).toEqual([
      'chaos-slo-pod-kill',
      'chaos-slo-feature-store-latency',
    ]);
    // 28 days: 0.02 × 672 h / 1 h.
    expect(rules.groups[0]!.rules.some((x) => x.expr.includes('(13.44 * 0.02)'))).toBe(true);
    const manifest = parse(readFileSync(manifestFile, 'utf8')) as { metadata: unknown };
    expect(manifest.metadata).toEqual({
      name: 'chaos-slo-weekly',
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/managed-by': 'chaos', release: 'prometheus' },
    });
    expect(run(['check', 'rules', rulesFile]).code).toBe(0);
    expect(run(['check', 'rules', manifestGroups(manifestFile)]).code).toBe(0);
  });

  it("takes the metric names and selector from the scenario's prometheus section", () => {
    const out = path.join(dir, 'prom');
    const r = chaos(['alerts', 'scenarios/pod-kill-prometheus.yaml', '--out-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    const rules = readFileSync(path.join(out, 'pod-kill-prometheus.rules.yaml'), 'utf8');
    expect(rules).toContain(
      'http_requests_total{namespace="ml-serving",app="fraud-scorer",route="/score",code=~"5.."}[5m]',
    );
    expect(run(['check', 'rules', path.join(out, 'pod-kill-prometheus.rules.yaml')]).code).toBe(0);
  });

  it('refuses bad input with exit 2, file:line:col, no stack and no file written', () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(path.join(ROOT, 'scenarios/pod-kill.yaml'), 'utf8').replace('max: 2%', 'max: 2 percent'),
    );
    const out = path.join(dir, 'bad-out');
    const r = chaos(['alerts', bad, '--out-dir', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: slos\[1\]\.max: expected a percentage/);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(existsSync(out)).toBe(false);

    const period = chaos(['alerts', 'scenarios/pod-kill.yaml', '--period', '1d', '--out-dir', out]);
    expect(period.code).toBe(2);
    expect(period.stderr).toContain('--period must be a duration of at least 3d');
    expect(existsSync(out)).toBe(false);

    const noSlo = path.join(dir, 'no-slo.yaml');
    writeFileSync(
      noSlo,
      readFileSync(path.join(ROOT, 'test/fixtures/scenarios/valid.yaml'), 'utf8').replace(
        /slos:[\s\S]*?(\n\S|$)/,
        'slos:\n  - { type: restarts, max: 0 }$1',
      ),
    );
    const none = chaos(['alerts', noSlo, '--out-dir', out]);
    expect(none.stderr).toContain('no-slo.yaml:1:1: slos: no errorRate (above 0%) or latency SLO');
    expect(none.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});
