/** A structured logger: one JSON line per event. Injected, never global. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** A logger writing JSON lines to stderr; `silent` drops everything (tests). */
export function createLogger(base: Record<string, unknown> = {}, options: { silent?: boolean } = {}): Logger {
  const write = (level: string, msg: string, fields?: Record<string, unknown>) => {
    if (options.silent) return;
    process.stderr.write(
      `${JSON.stringify({ t: new Date().toISOString(), level, msg, ...base, ...fields })}\n`,
    );
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (f) => createLogger({ ...base, ...f }, options),
  };
}
