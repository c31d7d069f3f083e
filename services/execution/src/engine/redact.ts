/**
 * Keeps credentials out of anything a venue error becomes (log lines, order reasons, API errors).
 * ccxt's messages carry the request URL (with its `signature=`), the venue's reply, and in verbose
 * mode headers; none may carry a key, a secret, a passphrase or a signed token.
 */

export const REDACTED = '[redacted]';

/** Pieces of a secret worth matching on their own: the whole value, and each long line of a PEM. */
function fragments(secret: string): string[] {
  const out = new Set<string>();
  const s = secret.trim();
  if (s.length >= 4) out.add(s);
  for (const line of s.split(/\r?\n|\\n/)) {
    const l = line.trim();
    if (l.length >= 16 && !l.startsWith('-----')) out.add(l);
  }
  // Longest first, so a whole value is replaced before its parts.
  return [...out].sort((a, b) => b.length - a.length);
}

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/([?&]signature=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`],
  // A JWT anywhere (Coinbase's ES256 tokens).
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, REDACTED],
  [/("?(?:X-MBX-APIKEY|KC-API-KEY|KC-API-SIGN|KC-API-PASSPHRASE|CB-ACCESS-KEY|CB-ACCESS-SIGN)"?\s*[:=]\s*"?)[^",}\s]+/gi, `$1${REDACTED}`],
];

/** A function that removes every given secret (and signatures, tokens, auth headers) from a text. */
export function secretRedactor(secrets: readonly string[]): (text: string) => string {
  const parts = secrets.flatMap(fragments);
  return (text: string): string => {
    let out = text;
    for (const p of parts) out = out.split(p).join(REDACTED);
    for (const [re, to] of PATTERNS) out = out.replace(re, to);
    return out;
  };
}
