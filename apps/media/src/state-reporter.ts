import type { Rung, StreamStateUpdate } from "@hearth/contracts";
import type { InternalClient, Logger } from "@hearth/server-kit";

/** Tells the manager about live/offline transitions (declared here, by the consumer). */
export interface StateReporter {
  report(publicId: string, live: boolean, rungs: Rung[]): Promise<void>;
}

/**
 * `POST /internal/streams/:publicId/state` on the manager, retried a few times: a lost "offline" would
 * leave the directory showing a dead stream.
 */
export function managerStateReporter(client: InternalClient, logger: Logger): StateReporter {
  return {
    async report(publicId, live, rungs) {
      const body: StreamStateUpdate = { live, rungs };
      for (let attempt = 1; attempt <= 4; attempt++) {
        try {
          await client.call("POST", `/internal/streams/${encodeURIComponent(publicId)}/state`, body, null);
          return;
        } catch (err) {
          logger.warn("state report failed", { publicId, live, attempt, err: String(err) });
          if (attempt < 4) await Bun.sleep(250 * 2 ** attempt);
        }
      }
    },
  };
}
