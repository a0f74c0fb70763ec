import type { AppMetrics } from "@hearth/server-kit";
import { Counter } from "prom-client";
import type { StreamMetrics } from "./stream-registry.ts";

/** What the media node's per-stream gauges read at scrape time. */
export type StreamMetricsSource = () => { streams: StreamMetrics[]; restartsEnded: number };

/**
 * Registers the media node's per-stream series on the app's registry. They are read when scraped (a gauge's
 * collect), so the pipeline keeps its own numbers and never pushes into the registry on a hot path.
 */
export function registerStreamMetrics(metrics: AppMetrics, read: StreamMetricsSource): void {
  let snapshot: ReturnType<StreamMetricsSource> | null = null;
  // One read per scrape: the first collect takes the snapshot, the last one drops it.
  const take = () => {
    snapshot ??= read();
    return snapshot;
  };
  // From each stream's state machine: a stream still starting, or ended while its ffmpeg flushes, is not live.
  metrics.gauge(
    "hearth_media_live_streams",
    "Streams currently live on this node (reconnecting included).",
    [],
    (g) => {
      g.set(take().streams.filter((s) => s.phase === "live" || s.phase === "reconnecting").length);
    },
  );
  metrics.gauge(
    "hearth_media_reconnecting_streams",
    "Streams waiting for a dropped publisher to come back.",
    [],
    (g) => {
      g.set(take().streams.filter((s) => s.phase === "reconnecting").length);
    },
  );
  metrics.gauge(
    "hearth_media_ingest_bitrate_bps",
    "Publisher ingest bitrate, bits per second.",
    ["stream"],
    (g) => {
      g.reset();
      for (const s of take().streams) g.set({ stream: s.publicId }, Math.round(s.ingestBps));
    },
  );
  metrics.gauge("hearth_media_transcode_speed", "ffmpeg speed (1 = real time).", ["stream"], (g) => {
    g.reset();
    for (const s of take().streams) if (s.speed !== null) g.set({ stream: s.publicId }, s.speed);
  });
  // Restarts are counted by each stream's transcoder; the counter copies them at scrape time.
  new Counter({
    name: "hearth_media_ffmpeg_restarts_total",
    help: "ffmpeg restarts after a crash, per live stream and for ended sessions (_ended).",
    labelNames: ["stream"],
    registers: [metrics.registry],
    collect() {
      this.reset();
      const m = take();
      for (const s of m.streams) this.inc({ stream: s.publicId }, s.restarts);
      this.inc({ stream: "_ended" }, m.restartsEnded);
      snapshot = null;
    },
  });
}
