import type { RecordingReport } from "@hearth/contracts";
import type { InternalClient, Logger } from "@hearth/server-kit";

/** Tells the manager how a recording stands (declared here, by the consumer). */
export interface RecordingReporter {
  /** Resolves true once the manager took it, false after the attempts ran out (logged, never thrown). */
  report(report: RecordingReport, attempts?: number): Promise<boolean>;
}

/**
 * `PUT /internal/recordings/:videoId` on the manager, idempotent, retried with a doubling pause up to 8 s: a
 * lost `ready` would leave the video listed as recording until the manager's node timeout finalises it.
 */
export function managerRecordingReporter(
  client: InternalClient,
  logger: Logger,
  sleep: (ms: number) => Promise<void> = Bun.sleep,
): RecordingReporter {
  return {
    async report(body, attempts = 4) {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await client.call("PUT", `/internal/recordings/${encodeURIComponent(body.videoId)}`, body, null);
          return true;
        } catch (err) {
          // One line per report that keeps failing, not per attempt: recovery may retry for minutes.
          if (attempt === 1 || attempt === attempts)
            logger.warn("recording report failed", {
              videoId: body.videoId,
              state: body.state,
              attempt,
              err: String(err),
            });
          if (attempt < attempts) await sleep(Math.min(8000, 250 * 2 ** attempt));
        }
      }
      return false;
    },
  };
}
