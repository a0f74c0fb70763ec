import type { Logger } from "@hearth/server-kit";

/** A logger that keeps every line in `lines`, as JSON like the apps' own, to prove what never gets logged. */
export function capturingLogger(lines: string[], base: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, msg, ...base, ...fields }));
  };
  return {
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (f) => capturingLogger(lines, { ...base, ...f }),
  };
}
