/**
 * Secrets never leave the process in clear: every text chaos writes (reports, triage, ledger, console) goes
 * through a redactor that knows the secret values of this run.
 */
export type Redactor = (text: string) => string;

const AUTH_HEADER = /(authorization["']?\s*[:=]\s*["']?)(bearer\s+|basic\s+)?[^\s"',}]+/gi;

export function makeRedactor(secretValues: readonly string[]): Redactor {
  // Longest first, so a secret that contains another is replaced whole. Very short values would redact
  // ordinary words; they are still redacted, since leaking a short secret is worse than an odd report.
  const values = [...new Set(secretValues.filter((v) => v.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(
      AUTH_HEADER,
      (_m, prefix: string, scheme: string | undefined) => `${prefix}${scheme ?? ''}[REDACTED]`,
    );
    for (const v of values) out = out.split(v).join('[REDACTED]');
    return out;
  };
}
