import type { GameDayResult } from '../result.js';
import type { ActionItem } from './action-items.js';
import type { Run } from './breach.js';
import type { PostmortemDateTime } from './date-time.js';
import { earliest, iso, plural } from './helpers.js';
import { UNOWNED } from './rules.js';

export interface GameDayPhase {
  phase: 'Announce' | 'Inject' | 'Respond' | 'Review' | 'Improve';
  at: string | null;
  what: string;
}

export function derivePhases(
  g: GameDayResult,
  runs: readonly Run[],
  dateTime: PostmortemDateTime,
  actionItems: readonly ActionItem[],
): GameDayPhase[] {
  const injections = runs.filter((r) => r.injection.ms !== null);
  const firstInjection = earliest(injections.map((r) => iso(r.injection.ms ?? 0)));
  const reverted = runs.reduce((n, r) => n + r.result.faults.filter((f) => f.revertedAt !== null).length, 0);
  return [
    {
      phase: 'Announce',
      at: g.startedAt,
      what:
        `Suite "${g.suite.name}" (${g.suite.file}) started with ${plural(g.scenarios.length, 'scenario')} on ` +
        `${g.cluster.context ?? 'the current kubeconfig context'}; owner: ${g.suite.owner ?? UNOWNED}`,
    },
    {
      phase: 'Inject',
      at: firstInjection,
      what:
        injections.length === 0
          ? 'No fault was injected and no scenario had a fault window'
          : injections.map((r) => `${r.name}: ${r.injection.what} at ${iso(r.injection.ms ?? 0)}`).join('; '),
    },
    {
      phase: 'Respond',
      at: dateTime.detectedAt,
      what: dateTime.breached
        ? dateTime.summary
        : `No breach to respond to; ${plural(reverted, 'fault')} reverted by the harness`,
    },
    {
      phase: 'Review',
      at: g.finishedAt,
      what: `${plural(runs.length, 'scenario')} judged, game-day verdict ${g.verdict} (exit code ${g.exitCode}); this report`,
    },
    {
      phase: 'Improve',
      at: actionItems[0]?.due ?? null,
      what:
        actionItems.length === 0
          ? 'No check failed, so no action item is due'
          : `${plural(actionItems.length, 'action item')} due ${actionItems[0]?.due ?? ''}, owner: ${g.suite.owner ?? UNOWNED}`,
    },
  ];
}
