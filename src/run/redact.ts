/**
 * Secrets never leave the process in clear: every text chaos writes (reports, triage, ledger, console) goes
 * through a redactor that knows the secret values of this run.
 */
export type Redactor = (text: string) => string;

const MARK = '[REDACTED]';

/** `Authorization:` / `Proxy-Authorization=` / `"authorization": ` … as headers, JSON, logs and Go maps print it. */
const AUTH_PREFIX = /authorization["']?\s*[:=]\s*/gi;
/** Schemes kept readable in front of the redacted credentials. */
const AUTH_SCHEME = /^(?:bearer|basic|token|digest|apikey|api-key|negotiate|ntlm|dpop|aws4-hmac-sha256)\s+/i;
const CLOSING: Record<string, string> = { '"': '"', "'": "'", '[': ']' };
/** Where an unquoted credential ends: the line, or the structure around it (JSON, query string). */
const UNQUOTED_END = new Set(['\n', '\r', '"', "'", ',', '}', '&', ';']);

/**
 * Everything after an Authorization prefix up to the end of its value is credentials, whatever the scheme
 * ("Token abc", "ApiKey abc", a bare key, a Go-printed `[Bearer abc]`): all of it is replaced.
 */
function redactAuthorization(text: string): string {
  let out = '';
  let last = 0;
  AUTH_PREFIX.lastIndex = 0;
  for (let m = AUTH_PREFIX.exec(text); m; m = AUTH_PREFIX.exec(text)) {
    let i = m.index + m[0].length;
    const close = CLOSING[text[i] ?? ''];
    if (close) i++;
    const start = i + (AUTH_SCHEME.exec(text.slice(i, i + 40))?.[0].length ?? 0);
    let end = start;
    while (end < text.length) {
      const c = text[end]!;
      if (c === '\\' && close) {
        end += 2; // an escaped quote inside a JSON string is still the value
        continue;
      }
      if (close ? c === close || c === '\n' || c === '\r' : UNQUOTED_END.has(c)) break;
      end++;
    }
    end = Math.min(end, text.length);
    if (end === start || text.slice(start, end) === MARK) continue;
    out += text.slice(last, start) + MARK;
    last = end;
    AUTH_PREFIX.lastIndex = end;
  }
  return out + text.slice(last);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function makeRedactor(secretValues: readonly string[]): Redactor {
  // Each secret as it may appear in what chaos writes: raw, inside a JSON string, URL-encoded.
  const forms = secretValues
    .filter((v) => v.length > 0)
    .flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]);
  // Longest first, so a secret that contains another is replaced whole. Very short values would redact
  // ordinary words; they are still redacted, since leaking a short secret is worse than an odd report.
  const values = [...new Set(forms)].sort((a, b) => b.length - a.length);
  // One pass, with the marker itself as the first alternative: text redacted before (triage output that
  // ends up in evidence) stays intact even when a secret is a piece of "[REDACTED]".
  const pattern = values.length > 0 ? new RegExp([MARK, ...values].map(escapeRegExp).join('|'), 'g') : null;
  return (text) => redactAuthorization(pattern ? text.replace(pattern, MARK) : text);
}
