import type { Logger } from "@hearth/server-kit";

/** One dependency a stream creation needs: resolves with a short description, or throws. */
export type ReadinessCheck = () => Promise<string>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<"database" | "media" | "chat", { ok: boolean; detail: string }>;
  /** The first failing check, in the house error shape. */
  error?: { code: string; message: string };
}

const FAILED = {
  database: "the database is unreachable",
  media: "no media node can take a stream",
  chat: "the chat service is unreachable",
} as const;

/**
 * "Ready" means a stream can be created now: the database answers, a media node can take it, chat answers.
 * All three run at once, each bounded by `timeoutMs`. A failure's raw error goes to the log only: the public
 * body says which check failed, never an internal address.
 */
export async function checkReadiness(
  checks: Record<"database" | "media" | "chat", ReadinessCheck>,
  logger: Logger,
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const names = ["database", "media", "chat"] as const;
  const results = await Promise.all(
    names.map(async (name) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        return { ok: true, detail: await Promise.race([checks[name](), timeout]) };
      } catch (err) {
        logger.warn("readiness check failed", { check: name, err: (err as Error).message });
        return { ok: false, detail: FAILED[name] };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const [database, media, chat] = results as [
    ReadinessReport["checks"]["database"],
    ReadinessReport["checks"]["media"],
    ReadinessReport["checks"]["chat"],
  ];
  const report: ReadinessReport = { ready: results.every((r) => r.ok), checks: { database, media, chat } };
  const failing = names.find((n) => !report.checks[n].ok);
  if (failing) report.error = { code: `${failing}_unavailable`, message: report.checks[failing].detail };
  return report;
}
