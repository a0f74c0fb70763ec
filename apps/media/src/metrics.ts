import type { AppMetrics } from "@hearth/server-kit";
import { Counter } from "prom-client";
import type { ConnectionLimits } from "./connection-limits.ts";
import type { NodeMetrics } from "./stream-registry.ts";

/** What the media node's per-stream gauges read at scrape time. */
export type StreamMetricsSource = () => NodeMetrics;

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
    },
  });
  /** A counter whose per-stream values the pipeline keeps; copied at scrape time. */
  const streamCounter = (
    name: string,
    help: string,
    value: (s: NodeMetrics["streams"][number]) => number,
    ended?: (m: NodeMetrics) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames: ["stream"],
      registers: [metrics.registry],
      collect() {
        this.reset();
        const m = take();
        for (const s of m.streams) this.inc({ stream: s.publicId }, value(s));
        if (ended) this.inc({ stream: "_ended" }, ended(m));
      },
    });
  streamCounter(
    "hearth_media_input_dropped_bytes_total",
    "Publisher input dropped (whole GOPs) because ffmpeg's input queue was full.",
    (s) => s.feedDrops.droppedBytes,
  );
  streamCounter(
    "hearth_media_input_overflows_total",
    "Times a stream's ffmpeg input queue overflowed.",
    (s) => s.feedDrops.overflows,
  );
  streamCounter(
    "hearth_media_degradations_total",
    "Times a stream was made cheaper to stay real-time (per live stream and for ended sessions, _ended).",
    (s) => s.degradations,
    (m) => m.degradationsEnded ?? 0,
  );
  new Counter({
    name: "hearth_media_publish_refused_total",
    help: "Publishes refused: the node was at its stream limit (or had no budget for a re-encoded source).",
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(take().refusals ?? 0);
    },
  });
  // Registered last: its collect ends the scrape's snapshot.
  metrics.gauge(
    "hearth_media_transcode_budget",
    "Transcode budget in veryfast Mpx/s (see admission.ts): total and in use.",
    ["kind"],
    (g) => {
      g.reset();
      const b = take().budget;
      if (b) {
        g.set({ kind: "total" }, b.total);
        g.set({ kind: "used" }, b.used);
      }
      snapshot = null;
    },
  );
}

/**
 * Registers the connection limits' series: refusals by limit (copied from the limits' own counts at scrape
 * time, like the restarts above) and what is held now.
 */
export function registerLimitMetrics(
  metrics: AppMetrics,
  read: () => ReturnType<ConnectionLimits["snapshot"]>,
): void {
  new Counter({
    name: "hearth_media_connections_refused_total",
    help: "Connections refused or closed by a limit (rtmp_per_ip, rtmp_handshakes, rtmp_publish_timeout, whip_setups_per_ip, whip_setups).",
    labelNames: ["limit"],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [limit, n] of Object.entries(read().refused)) this.inc({ limit }, n);
    },
  });
  metrics.gauge("hearth_media_rtmp_connections", "Open RTMP connections.", [], (g) =>
    g.set(read().rtmpConnections),
  );
  metrics.gauge("hearth_media_rtmp_handshakes", "RTMP connections not yet publishing.", [], (g) =>
    g.set(read().rtmpHandshaking),
  );
  metrics.gauge("hearth_media_whip_setups", "WHIP offers being answered.", [], (g) =>
    g.set(read().whipSetups),
  );
}
