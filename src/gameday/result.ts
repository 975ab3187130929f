/**
 * The game-day document: what `chaos gameday` writes as gameday.json and renders as gameday.md/.html. A
 * game day is a suite of scenario runs under one run id, judged and written up as a postmortem would be.
 */
import type { RunResult, Verdict } from '../verdict/result.js';

export const GAMEDAY_SCHEMA_VERSION = 'chaos.gameday/v1';

export interface GameDayScenario {
  /** 1-based position in the suite. */
  index: number;
  /** As written in the suite, and resolved against the suite's directory. */
  file: string;
  name: string;
  /** skipped: an earlier scenario failed under `stopOnFailure`, or the game day was interrupted. */
  status: 'ran' | 'skipped';
  skippedReason: string | null;
  /** Null when skipped. */
  result: RunResult | null;
  /** Relative to the game day's report directory; null when skipped. */
  reportDir: string | null;
}

export interface GameDayResult {
  schemaVersion: typeof GAMEDAY_SCHEMA_VERSION;
  runId: string;
  suite: {
    name: string;
    description: string;
    file: string;
    /** Who owns the action items (metadata.owner in the suite); null when the suite names nobody. */
    owner: string | null;
    stopOnFailure: boolean;
  };
  cluster: { context: string | null };
  startedAt: string;
  finishedAt: string;
  durationS: number;
  /** Worst of the scenario verdicts; INCONCLUSIVE when a scenario was skipped for a reason other than a FAIL. */
  verdict: Verdict;
  exitCode: number;
  scenarios: GameDayScenario[];
  /** Summed over the scenarios that ran. */
  errorBudget: { slo: number; requests: number; errors: number; consumed: number } | null;
}
