/**
 * Parse once: a loaded scenario holds durations in milliseconds and percentages as ratios, each with the
 * author's text, and nothing outside the scenario layer parses units again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { scenarioSchema, type ScenarioInput } from '../../../src/scenario/schema.js';
import { Duration, Percent } from '../../../src/scenario/units.js';
import { makeScenario } from '../../fakes/scenario.js';
import { VALID, expectOk } from './helpers.js';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

describe('Duration and Percent', () => {
  it('carry the number and the text as written', () => {
    expect(Duration.parse('1.5s')).toEqual(new Duration(1500, '1.5s'));
    expect(Duration.parse('1000ms')).toMatchObject({ ms: 1000, text: '1000ms' });
    expect(Percent.parse('2%')).toMatchObject({ ratio: 0.02, text: '2%' });
    expect(() => Duration.parse('30')).toThrow(RangeError);
    expect(() => Percent.parse('2')).toThrow(RangeError);
  });

  it('serialize as the text, in JSON and so in anything dumped from a scenario', () => {
    expect(JSON.stringify({ at: Duration.parse('250ms'), max: Percent.parse('0.5%') })).toBe(
      '{"at":"250ms","max":"0.5%"}',
    );
  });
});

describe('the parsed scenario', () => {
  it('holds every duration and percentage parsed, defaults included', () => {
    const s = makeScenario({
      windows: { baseline: '1m', fault: '90s', recovery: '1.5m' },
      faults: [
        { type: 'pod-kill', percent: '50%', gracePeriod: '0s', interval: '10s', repeat: 2 },
        { type: 'node-drain', at: '250ms' },
        { type: 'latency', selector: { app: 'feast' }, delay: '100ms', jitter: '10ms' },
      ],
      slos: [
        { type: 'latency', max: '250ms' },
        { type: 'errorRate', max: '2%' },
        { type: 'availability', maxGap: '2s' },
        { type: 'recovery', within: '2m' },
      ],
      safety: { allowedNamespaces: ['ml-serving'], maxPercent: '50%' },
    });
    expect(s.windows).toEqual({
      baseline: new Duration(60_000, '1m'),
      fault: new Duration(90_000, '90s'),
      recovery: new Duration(90_000, '1.5m'),
    });
    expect(s.faults).toEqual([
      {
        type: 'pod-kill',
        at: new Duration(0, '0s'),
        percent: new Percent(0.5, '50%'),
        gracePeriod: new Duration(0, '0s'),
        interval: new Duration(10_000, '10s'),
        repeat: 2,
        waitReady: true,
      },
      {
        type: 'node-drain',
        at: new Duration(250, '250ms'),
        evictionTimeout: new Duration(120_000, '120s'),
        backoff: new Duration(2000, '2s'),
      },
      expect.objectContaining({
        at: new Duration(0, '0s'),
        delay: new Duration(100, '100ms'),
        jitter: new Duration(10, '10ms'),
      }) as unknown,
    ]);
    expect(s.slos.map((x) => ('max' in x ? x.max : 'maxGap' in x ? x.maxGap : x))).toEqual([
      new Duration(250, '250ms'),
      new Percent(0.02, '2%'),
      new Duration(2000, '2s'),
      expect.objectContaining({ within: new Duration(120_000, '2m') }) as unknown,
    ]);
    expect(s.safety.maxPercent).toEqual(new Percent(0.5, '50%'));
  });

  it('omitted faults and safety are none, as before the parsing', () => {
    const omitted = scenarioSchema.parse({ ...input(), faults: undefined, safety: undefined });
    expect(omitted.faults).toEqual([]);
    expect(omitted.safety).toEqual({});
  });

  it('JSON of a parsed scenario is its input form: parsing it again gives the same scenario', () => {
    const result = parseScenario(VALID, 'v.yaml');
    expectOk(result);
    const again = scenarioSchema.parse(JSON.parse(JSON.stringify(result.scenario)));
    expect(again).toEqual(result.scenario);
    expect(again.windows.fault).toBeInstanceOf(Duration);
  });
});

describe('nothing downstream parses units again', () => {
  it('no module outside src/scenario/ uses parseDurationMs or parsePercent', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !f.startsWith(`scenario${path.sep}`))
      .filter((f) => /\bparse(DurationMs|Percent)\b/.test(readFileSync(path.join(SRC, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

function input(): ScenarioInput {
  return JSON.parse(JSON.stringify(makeScenario())) as ScenarioInput;
}

function sourceFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name), path.join(prefix, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(prefix, e.name)]
        : [],
  );
}
