/**
 * `chaos gameday` and `chaos schedule` on bad input: exit 2, every problem as file:line:col: path: message,
 * and no cluster contacted (the kubeconfig points nowhere, so any attempt would exit 3 instead).
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findK6 } from '../../../src/load/k6.js';
import { chaos, ensureBuilt, ROOT, STACK_FRAME } from './helpers.js';

let dir: string;
const noCluster = () => ({ env: { KUBECONFIG: path.join(dir, 'no-such-kubeconfig') } });

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'chaos-cli-gameday-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A context named as the suites allow, on a port nothing listens on: chaos schedule prints the objects anyway. */
function unreachableKubeconfig(): string {
  const kubeconfig = path.join(dir, 'unreachable-kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
      'users: [{ name: u, user: { token: t } }]',
      'contexts: [{ name: kind-chaos, context: { cluster: c, user: u } }]',
      'current-context: kind-chaos',
    ].join('\n'),
  );
  return kubeconfig;
}

function suite(name: string, scenarios: string[], extra = ''): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: chaos/v1',
      'kind: GameDay',
      'metadata: { name: weekly }',
      'scenarios:',
      ...scenarios.map((s) => `  - file: ${s}`),
      extra,
    ].join('\n'),
  );
  return file;
}

describe('chaos gameday', () => {
  it('a bad suite: exit 2 with positions, before anything runs', () => {
    const file = suite('bad.yaml', [path.join(ROOT, 'scenarios/pod-kill.yaml')], 'stopOnFailure: yes please');
    const run = chaos(['gameday', file], noCluster());
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([`${file}:6:16: stopOnFailure: expected true or false, got "yes please"`]);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('a bad scenario in a good suite is reported in the scenario file, and no scenario runs', () => {
    const scenario = path.join(dir, 'typo.yaml');
    writeFileSync(
      scenario,
      'apiVersion: chaos/v1\nkind: Scenario\nmetadata: { name: typo }\ntarget: { namespace: ml-serving }\n',
    );
    const file = suite('one-bad.yaml', [path.join(ROOT, 'scenarios/pod-kill.yaml'), scenario]);
    const run = chaos(['gameday', file], noCluster());
    expect(run.code).toBe(2);
    expect(run.lines.length).toBeGreaterThan(0);
    expect(run.lines.every((l) => l.startsWith(`${scenario}:`))).toBe(true);
    expect(run.stderr).not.toMatch(/1\/2 pod-kill/);
  });

  it('a budget below its floor stops the game day before the first scenario: exit 3, and the report says why', () => {
    const budget = path.join(dir, 'budget.json');
    // 19 errors in 1000 requests against a 98 % SLO: 5 % of the budget left, floor 25 %.
    copyFileSync(path.join(ROOT, 'test/fixtures/budget/nearly-spent.json'), budget);
    const reportDir = path.join(dir, 'refused');
    const run = chaos(
      ['gameday', path.join(ROOT, 'gamedays/weekly.yaml'), '--budget', budget, '--report-dir', reportDir],
      noCluster(),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).not.toMatch(STACK_FRAME);
    const g = JSON.parse(readFileSync(path.join(reportDir, 'gameday.json'), 'utf8')) as {
      verdict: string;
      exitCode: number;
      scenarios: { name: string; status: string; skippedReason: string }[];
    };
    expect(g.exitCode).toBe(3);
    expect(g.verdict).toBe('INCONCLUSIVE');
    expect(g.scenarios.map((x) => [x.name, x.status])).toEqual([
      ['pod-kill', 'skipped'],
      ['feature-store-latency', 'skipped'],
    ]);
    expect(g.scenarios[0]!.skippedReason).toMatch(
      /^did not start: error budget in .* is below its floor: 5\.0 % left/,
    );
    expect(g.scenarios[1]!.skippedReason).toBe(g.scenarios[0]!.skippedReason);
    expect(readFileSync(path.join(reportDir, 'gameday.md'), 'utf8')).toMatch(/did not start: error budget/);
  });
});

describe('chaos validate on a suite', () => {
  it('checks the suite and every scenario it lists', () => {
    const ok = chaos(['validate', 'gamedays/weekly.yaml'], noCluster());
    expect(ok.code).toBe(0);
    expect(ok.lines).toEqual(['gamedays/weekly.yaml: ok (game day weekly, 2 scenario(s))']);
    const scenario = path.join(dir, 'broken-scenario.yaml');
    writeFileSync(scenario, 'apiVersion: chaos/v1\nkind: Scenario\nmetadata: { name: Broken }\n');
    const bad = chaos(['validate', suite('lists-broken.yaml', [scenario])], noCluster());
    expect(bad.code).toBe(2);
    expect(bad.lines).toContainEqual(expect.stringMatching(new RegExp(`^${scenario}:3:19: metadata.name: `)));
    expect(bad.lines.every((l) => l.startsWith(`${scenario}:`))).toBe(true);
  });
});

describe('chaos schedule', () => {
  const weekly = path.join(ROOT, 'gamedays/weekly.yaml');

  it('a cron expression Kubernetes would not take: exit 2 naming the field', () => {
    for (const [cron, message] of [
      ['61 * * * *', 'Invalid value for minute: 61'],
      [
        '0 0 3 * * 1',
        'expected five fields (minute hour day-of-month month day-of-week) or a macro like @daily',
      ],
    ]) {
      const run = chaos(['schedule', weekly, '--cron', cron!, '--apply'], noCluster());
      expect(run.code).toBe(2);
      expect(run.lines).toEqual([`--cron ${JSON.stringify(cron)}: ${message}`]);
    }
  });

  it('--cron is required, and --target-origin must be an origin', () => {
    expect(chaos(['schedule', weekly], noCluster()).code).toBe(2);
    const run = chaos(
      ['schedule', weekly, '--cron', '@daily', '--target-origin', 'http://fraud-scorer.ml-serving.svc/score'],
      noCluster(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--target-origin must be an http\(s\) origin with no path/);
  });

  it('kubectl faults need the suite to state their RBAC, and rbac: needs kubectl faults: exit 2 at the line', () => {
    // Suites in a temporary directory name the repo's scenarios relatively, and allow the repo's tree.
    const down = path.relative(dir, path.join(ROOT, 'scenarios/feature-store-down.yaml'));
    const allow = ['--allow-outside', ROOT];
    const missing = chaos(
      ['schedule', suite('no-rbac.yaml', [down]), '--cron', '@daily', ...allow],
      noCluster(),
    );
    expect(missing.code).toBe(2);
    expect(missing.lines).toEqual([
      `${path.join(dir, 'no-rbac.yaml')}:5:11: scenarios[0].file: has kubectl faults: state what their commands need as Role rules in the suite's rbac: (chaos cannot derive it from arbitrary commands)`,
    ]);
    const rbac = 'rbac:\n  - { apiGroups: [apps], resources: [deployments/scale], verbs: [patch] }';
    const needless = chaos(
      [
        'schedule',
        suite('needless.yaml', [path.relative(dir, path.join(ROOT, 'scenarios/pod-kill.yaml'))], rbac),
        '--cron',
        '@daily',
        ...allow,
      ],
      noCluster(),
    );
    expect(needless.code).toBe(2);
    expect(needless.lines).toEqual([
      `${path.join(dir, 'needless.yaml')}:7:3: rbac: grants what kubectl faults need, and no scenario of this suite has one: remove it`,
    ]);
    const wildcard = chaos(
      [
        'schedule',
        suite('wild.yaml', [down], rbac.replace('[patch]', '["*"]')),
        '--cron',
        '@daily',
        ...allow,
      ],
      noCluster(),
    );
    expect(wildcard.code).toBe(2);
    expect(wildcard.lines[0]).toMatch(
      /wild\.yaml:7:\d+: rbac\[0\]\.verbs\[0\]: expected one of "get", "list".*got "\*"/,
    );
    // With its rules, the same suite gets as far as the cluster: exit 3 here, where there is none.
    expect(
      chaos(['schedule', suite('ok.yaml', [down], rbac), '--cron', '@daily', ...allow], noCluster()).code,
    ).toBe(3);
  });

  it('ships every file the scenarios read: payloads and golden rows', () => {
    const run = chaos(['schedule', weekly, '--cron', '@daily'], {
      env: { KUBECONFIG: unreachableKubeconfig() },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('scenarios_payloads_transactions.json:');
    expect(run.stdout).toContain('scenarios_payloads_golden.json:');
  });

  it('without a kubeconfig, a valid request is an environment problem (exit 3), not a crash', () => {
    const run = chaos(['schedule', weekly, '--cron', '@daily'], noCluster());
    expect(run.code).toBe(3);
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });
});

describe("chaos schedule copies only files inside the suite's tree", () => {
  // A project like the repo: .git at its top, gamedays/ and scenarios/ side by side; a directory beside it
  // holds what must not be shipped.
  let proj: string;
  let outside: string;
  const podKill = () => readFileSync(path.join(ROOT, 'scenarios/pod-kill.yaml'), 'utf8');

  beforeAll(() => {
    proj = path.join(dir, 'proj');
    outside = path.join(dir, 'outside');
    for (const d of ['.git', 'gamedays', 'scenarios/payloads', '../outside'])
      mkdirSync(path.join(proj, d), { recursive: true });
    copyFileSync(
      path.join(ROOT, 'scenarios/payloads/transactions.json'),
      path.join(proj, 'scenarios/payloads/transactions.json'),
    );
    writeFileSync(
      path.join(outside, 'secret.json'),
      '{"features": [[1, 2, 3, 4, 5, 6, 7, 8]], "token": "do-not-ship"}\n',
    );
    // A valid scenario with its payload, so what stops it is where it is.
    writeFileSync(path.join(outside, 'evil.yaml'), podKill());
    mkdirSync(path.join(outside, 'payloads'));
    copyFileSync(
      path.join(ROOT, 'scenarios/payloads/transactions.json'),
      path.join(outside, 'payloads/transactions.json'),
    );
    symlinkSync(path.join(outside, 'secret.json'), path.join(proj, 'scenarios/payloads/link.json'));
  });

  /** gamedays/<name>.yaml listing scenarios/<name>.yaml, whose payload file is `payload`. */
  function project(name: string, payload: string, entry = `../scenarios/${name}.yaml`): string {
    writeFileSync(
      path.join(proj, 'scenarios', `${name}.yaml`),
      podKill().replace('file: payloads/transactions.json', `file: ${JSON.stringify(payload)}`),
    );
    const file = path.join(proj, 'gamedays', `${name}.yaml`);
    writeFileSync(
      file,
      [
        'apiVersion: chaos/v1',
        'kind: GameDay',
        `metadata: { name: ${name} }`,
        'scenarios:',
        `  - file: ${entry}`,
        '',
      ].join('\n'),
    );
    return file;
  }
  const payloadLine = () =>
    podKill()
      .split('\n')
      .findIndex((l) => l.includes('file: payloads/transactions.json')) + 1;

  it('a payload path climbing out of the tree: exit 2 naming the file, before any cluster is looked for', () => {
    const shadow = '../../../../../../../../../../etc/shadow';
    const run = chaos(['schedule', project('climb', shadow), '--cron', '@daily'], noCluster());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatch(
      new RegExp(
        `scenarios/climb\\.yaml:${payloadLine()}:\\d+: load\\.payload\\.file: "${shadow.replace(/\./g, '\\.')}" resolves to /etc/shadow, outside the suite's tree ${proj}`,
      ),
    );
    expect(run.lines[0]).toContain('--allow-outside <dir>');
    expect(run.stderr).not.toMatch(STACK_FRAME);
  });

  it('an absolute path is refused, allowed directory or not', () => {
    for (const extra of [[], ['--allow-outside', '/etc']]) {
      const run = chaos(
        ['schedule', project('absolute', '/etc/hostname'), '--cron', '@daily', ...extra],
        noCluster(),
      );
      expect(run.code).toBe(2);
      expect(run.lines).toEqual([
        expect.stringMatching(
          /load\.payload\.file: "\/etc\/hostname" is an absolute path: chaos schedule refuses them/,
        ),
      ]);
    }
  });

  it('a symlink inside the tree that points out of it counts as outside', () => {
    const run = chaos(['schedule', project('link', 'payloads/link.json'), '--cron', '@daily'], noCluster());
    expect(run.code).toBe(2);
    expect(run.lines[0]).toContain(
      `"payloads/link.json" resolves through a symlink to ${path.join(outside, 'secret.json')}, outside the suite's tree`,
    );
  });

  it("a suite entry naming a scenario outside the tree is refused at the suite's line", () => {
    const file = project('far', 'payloads/transactions.json', '../../outside/evil.yaml');
    const run = chaos(['schedule', file, '--cron', '@daily'], noCluster());
    expect(run.code).toBe(2);
    expect(run.lines).toEqual([
      expect.stringMatching(
        new RegExp(`^${file}:5:11: scenarios\\[0\\]\\.file: "\\.\\./\\.\\./outside/evil\\.yaml" resolves to`),
      ),
    ]);
  });

  it('--allow-outside <dir> lets a directory in, and the file is shipped; the tree itself needs no flag', () => {
    const file = project('allowed', '../../outside/secret.json');
    const refused = chaos(['schedule', file, '--cron', '@daily'], noCluster());
    expect(refused.code).toBe(2);
    const run = chaos(['schedule', file, '--cron', '@daily', '--allow-outside', outside], {
      env: { KUBECONFIG: unreachableKubeconfig() },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('do-not-ship');
    const inside = chaos(['schedule', project('inside', 'payloads/transactions.json'), '--cron', '@daily'], {
      env: { KUBECONFIG: unreachableKubeconfig() },
    });
    expect(inside.code, inside.stderr).toBe(0);
  });

  it("without a .git above the suite, the tree is the suite's own directory", () => {
    const loose = path.join(dir, 'loose');
    mkdirSync(path.join(loose, 'scenarios'), { recursive: true });
    writeFileSync(path.join(loose, 'scenarios', 'pk.yaml'), podKill());
    mkdirSync(path.join(loose, 'scenarios', 'payloads'), { recursive: true });
    copyFileSync(
      path.join(ROOT, 'scenarios/payloads/transactions.json'),
      path.join(loose, 'scenarios/payloads/transactions.json'),
    );
    mkdirSync(path.join(loose, 'gamedays'));
    const file = path.join(loose, 'gamedays', 'g.yaml');
    writeFileSync(
      file,
      'apiVersion: chaos/v1\nkind: GameDay\nmetadata: { name: g }\nscenarios:\n  - file: ../scenarios/pk.yaml\n',
    );
    const run = chaos(['schedule', file, '--cron', '@daily'], noCluster());
    expect(run.code).toBe(2);
    expect(run.lines[0]).toContain(
      `outside the suite's tree ${path.join(loose, 'gamedays')} (the suite's directory: no .git above it)`,
    );
    const allowed = chaos(
      ['schedule', file, '--cron', '@daily', '--allow-outside', path.join(loose, 'scenarios')],
      {
        env: { KUBECONFIG: unreachableKubeconfig() },
      },
    );
    expect(allowed.code, allowed.stderr).toBe(0);
  });
});

describe('with no cluster configured at all', () => {
  // No KUBECONFIG, no ~/.kube/config, not a pod: client-node would invent http://localhost:8080.
  // k6 is found before the cluster is looked for: named explicitly, since HOME (and its testbed cache) moves.
  const nothing = (): { env: NodeJS.ProcessEnv } => ({
    env: { KUBECONFIG: undefined, HOME: dir, KUBERNETES_SERVICE_HOST: undefined, K6_BIN: findK6() },
  });

  it('chaos run says no cluster is configured and how to give one: exit 3', () => {
    const run = chaos(['run', path.join(ROOT, 'scenarios/pod-kill.yaml'), '--yes'], nothing());
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'chaos: no cluster is configured: KUBECONFIG is not set, there is no ~/.kube/config, and this is not a pod',
    );
    expect(run.stderr).not.toMatch(/loaded-context|skipTLSVerify/);
  });

  it('chaos gameday names the exit code’s meaning, not INCONCLUSIVE: exit 3', () => {
    const run = chaos(
      ['gameday', path.join(ROOT, 'gamedays/weekly.yaml'), '--report-dir', path.join(dir, 'gd')],
      nothing(),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('chaos gameday ENVIRONMENT ERROR: weekly (exit 3)');
  });
});
