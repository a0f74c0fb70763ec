import type { PublishRefusal, ReportOrigin, Rung, StreamPhase, StreamStateUpdate } from "@hearth/contracts";
import type { InternalClient, Logger } from "@hearth/server-kit";

/** Tells the manager about a stream's phase transitions (declared here, by the consumer). */
export interface StateReporter {
  report(publicId: string, update: StreamStateUpdate): Promise<void>;
}

/** Builds report origins for one node: sessions ordered by start time, transitions by a sequence number. */
export function reportOrigins(node: string, now: () => number = Date.now) {
  return {
    /** A new session's origin (seq 0). */
    session(): ReportOrigin {
      const epoch = now();
      return {
        node,
        session: `${node}-${epoch.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
        epoch,
        seq: 0,
      };
    },
    /** The next transition of the same session. */
    next(o: ReportOrigin): ReportOrigin {
      return { ...o, seq: o.seq + 1 };
    },
  };
}

/** A state report body. */
export function stateUpdate(
  phase: StreamPhase,
  origin: ReportOrigin,
  rungs: Rung[] = [],
  quality: StreamStateUpdate["quality"] = null,
): StreamStateUpdate {
  return { phase, origin, rungs, quality };
}

/**
 * `POST /internal/streams/:publicId/state` on the manager, retried a few times: a lost "offline" would
 * leave the directory showing a dead stream (the heartbeat carries the same state as a second path).
 */
export function managerStateReporter(client: InternalClient, logger: Logger): StateReporter {
  return {
    async report(publicId, body) {
      for (let attempt = 1; attempt <= 4; attempt++) {
        try {
          await client.call("POST", `/internal/streams/${encodeURIComponent(publicId)}/state`, body, null);
          return;
        } catch (err) {
          logger.warn("state report failed", { publicId, phase: body.phase, attempt, err: String(err) });
          if (attempt < 4) await Bun.sleep(250 * 2 ** attempt);
        }
      }
    },
  };
}

/**
 * `POST /internal/streams/:publicId/refusal` on the manager, once: a lost refusal only leaves the streamer with
 * OBS's own "failed to connect", and the next attempt reports again.
 */
export function managerRefusalReporter(client: InternalClient, node: string, logger: Logger) {
  return (publicId: string, refusal: Omit<PublishRefusal, "node">): void => {
    const body: PublishRefusal = { node, ...refusal };
    client
      .call("POST", `/internal/streams/${encodeURIComponent(publicId)}/refusal`, body, null)
      .catch((err) =>
        logger.warn("refusal report failed", { publicId, code: refusal.code, err: String(err) }),
      );
  };
}
