/** Every response in one window carries the expected model version (by default: the one before the run). */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const modelVersion = defineSlo({
  kind: 'modelVersion',
  needs: ['load', 'versionBefore'],
  heading: (slo, { obs }) => ({
    id: `model-version-${slo.window}`,
    window: slo.window,
    threshold: slo.expect === 'unchanged' ? `= ${obs.versionBefore ?? '?'} (unchanged)` : `= ${slo.expect}`,
  }),
  judge(slo, { obs }) {
    const expected = slo.expect === 'unchanged' ? obs.versionBefore : slo.expect;
    if (!expected)
      // V2 metadata lists versions only when the model's settings do (MLServer's `versions`): say where to look.
      return inconclusive(
        'the model version before the run is unknown: target.versionUrl did not answer, or its answer has no version at target.modelVersion.urlField',
      );
    const w = obs.load[slo.window];
    const versions = Object.entries(w?.modelVersions ?? {}).filter(([v]) => v !== 'none');
    const total = versions.reduce((a, [, n]) => a + n, 0);
    if (total === 0) return inconclusive(`no response carried a model version in the ${slo.window} window`);
    const other = versions.filter(([v]) => v !== expected);
    const otherCount = other.reduce((a, [, n]) => a + n, 0);
    return {
      verdict: verdictOf(otherCount === 0),
      measured: otherCount === 0 ? expected : other.map(([v]) => v).join(','),
      evidence: `${total} responses by version: ${versions.map(([v, n]) => `${v}×${n}`).join(', ')}`,
    };
  },
});
