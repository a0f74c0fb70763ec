import type { AppMetrics } from "@hearth/server-kit";
import { Counter } from "prom-client";
import type { LiveRecordings } from "./live-recordings.ts";

/** The node's recording numbers: kept here, copied into the registry at scrape time. */
export class RecordingStats {
  writeErrors = 0;
}

/** `hearth_recording_write_errors_total` (recordings stopped by a failed write) and the recordings being written. */
export function registerRecordingMetrics(
  metrics: AppMetrics,
  stats: RecordingStats,
  live: LiveRecordings,
): void {
  new Counter({
    name: "hearth_recording_write_errors_total",
    help: "Recordings stopped by a failed write (a full disk); the live streams went on.",
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(stats.writeErrors);
    },
  });
  metrics.gauge("hearth_recording_active", "Recordings being written on this node.", [], (g) => {
    g.set(live.size);
  });
}
