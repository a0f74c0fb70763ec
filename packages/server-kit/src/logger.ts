/** A structured logger: one JSON line per event. Injected, never global. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Drops everything (tests). */
  silent?: boolean;
  /** Exact values never to print (the internal token): replaced wherever they appear. Shorter than 8 characters is ignored. */
  secrets?: readonly string[];
  /** Where lines go; default stderr. */
  sink?: (line: string) => void;
}

const REDACTED = "<redacted>";

/**
 * Shapes of secrets, redacted from every string a log line carries: the last line of defence, for a secret
 * that reached a message by mistake (code must still never log one).
 */
const SECRET_SHAPES: [RegExp, string][] = [
  // Stream keys as apps/manager/src/stream-key.ts makes them: `live_` + 32 base64url characters.
  [/live_[A-Za-z0-9_-]{16,}/g, `live_${REDACTED}`],
  // Authorization header values (stream keys, internal and admin tokens travel as bearer tokens).
  [/(Bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`],
  // Chat identity tokens `<userId>.<hmac>` (apps/chat/src/identity.ts): 22 + 32 base64url characters.
  [/[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{32}(?![A-Za-z0-9_-])/g, REDACTED],
  // Secrets in a URL's query string.
  [/([?&](?:identity|token|key|access_token|secret)=)[^&\s"']+/gi, `$1${REDACTED}`],
];

/** Field names whose string values are secrets whatever they look like. */
const SECRET_FIELD =
  /^(key|streamKey|privateId|token|.*Token|secret|.*Secret|password|authorization|identity)$/i;

/** Redacts known secrets and secret-shaped substrings from one string. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** A logger writing JSON lines to stderr, every string value passed through `redactText`. */
export function createLogger(base: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  const sink = options.sink ?? ((line: string) => process.stderr.write(line));
  const replacer = (key: string, value: unknown): unknown => {
    if (typeof value !== "string") return value;
    if (key && SECRET_FIELD.test(key)) return REDACTED;
    return redactText(value, secrets);
  };
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    if (options.silent) return;
    sink(`${JSON.stringify({ t: new Date().toISOString(), level, msg, ...base, ...fields }, replacer)}\n`);
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (f) => createLogger({ ...base, ...f }, options),
  };
}
