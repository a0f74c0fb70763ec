import { type HeartbeatStream, MediaNodeHeartbeat, type NodeBudget } from "@hearth/contracts";
import type { InternalClient, Logger } from "@hearth/server-kit";

export interface NodeHeartbeatOptions {
  client: InternalClient;
  logger: Logger;
  intervalMs: number;
  /** Everything the manager needs to place streams here and route viewers to them. */
  node: Omit<MediaNodeHeartbeat, "load" | "streams" | "budget">;
  /** The streams this node has now, with their newest reported state. */
  streams(): HeartbeatStream[];
  /** The node's transcode budget now (capacity for placement). */
  budget?(): NodeBudget | null;
}

/** Registers this media node with the manager and keeps heart-beating until stop(). */
export function nodeHeartbeat(options: NodeHeartbeatOptions) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let failing = false;
  const beat = async () => {
    const streams = options.streams();
    const budget = options.budget?.() ?? undefined;
    const body = MediaNodeHeartbeat.parse({ ...options.node, load: streams.length, streams, budget });
    try {
      await options.client.call("POST", "/internal/nodes/heartbeat", body, null);
      if (failing) options.logger.info("manager reachable again; heartbeat resumed");
      failing = false;
    } catch (err) {
      // Keep serving the streams we have; say it once, not every beat.
      if (!failing) options.logger.warn("heartbeat to the manager failed", { err: (err as Error).message });
      failing = true;
    }
  };
  return {
    beat,
    start() {
      void beat();
      timer = setInterval(beat, options.intervalMs);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
