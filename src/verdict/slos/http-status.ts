/** Every response of a payload kind in one window has an expected status, and none a forbidden one. */
import { defineSlo, inconclusive, verdictOf } from './judge.js';

export const httpStatus = defineSlo({
  kind: 'httpStatus',
  needs: ['load'],
  exemplars: 'failed',
  heading: (slo) => ({
    id: `http-status-${slo.payload}-${slo.window}`,
    window: slo.window,
    threshold: [
      slo.expect ? `only ${slo.expect.join('/')}` : '',
      slo.never ? `never ${slo.never.join('/')}` : '',
    ]
      .filter(Boolean)
      .join(', '),
  }),
  judge(slo, { obs }) {
    const w = obs.load[slo.window];
    const counts = slo.payload === 'any' ? w?.statusCounts : w?.statusByPayload[slo.payload];
    const total = counts ? Object.values(counts).reduce((a, b) => a + b, 0) : 0;
    if (!counts || total === 0)
      return inconclusive(
        `no ${slo.payload === 'any' ? '' : slo.payload + ' '}requests were sent in the ${slo.window} window`,
      );
    const bad = Object.entries(counts).filter(
      ([status]) =>
        (slo.expect && !slo.expect.some((p) => matches(status, p))) ||
        (slo.never?.some((p) => matches(status, p)) ?? false),
    );
    const badCount = bad.reduce((a, [, n]) => a + n, 0);
    const dist = Object.entries(counts)
      .map(([s, n]) => `${s === '0' ? 'no response' : s}×${n}`)
      .join(', ');
    return {
      verdict: verdictOf(badCount === 0),
      measured: badCount,
      evidence: `${total} ${slo.payload} requests: ${dist}${badCount ? `; ${badCount} break the rule` : ''}`,
    };
  },
});

/** `503` matches 503; `5xx` matches every 5.. status. */
function matches(status: string, pattern: string): boolean {
  return pattern.endsWith('xx') ? status.startsWith(pattern[0]!) : status === pattern;
}
