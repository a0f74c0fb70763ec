import type { NodeMetrics } from "./stream-registry.ts";

/** Renders the media node's Prometheus text exposition. */
export function renderMetrics(m: NodeMetrics): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  family("hearth_media_live_streams", "gauge", "Streams currently live on this node.");
  out.push(`hearth_media_live_streams ${m.streams.length}`);
  family("hearth_media_ingest_bitrate_bps", "gauge", "Publisher ingest bitrate, bits per second.");
  for (const s of m.streams)
    out.push(`hearth_media_ingest_bitrate_bps{stream="${s.publicId}"} ${Math.round(s.ingestBps)}`);
  family("hearth_media_transcode_speed", "gauge", "ffmpeg speed (1 = real time).");
  for (const s of m.streams)
    if (s.speed !== null) out.push(`hearth_media_transcode_speed{stream="${s.publicId}"} ${s.speed}`);
  family("hearth_media_ffmpeg_restarts_total", "counter", "ffmpeg restarts after a crash.");
  for (const s of m.streams)
    out.push(`hearth_media_ffmpeg_restarts_total{stream="${s.publicId}"} ${s.restarts}`);
  out.push(`hearth_media_ffmpeg_restarts_total{stream="_ended"} ${m.restartsEnded}`);
  family(
    "hearth_media_input_dropped_bytes_total",
    "counter",
    "Publisher input dropped (up to the next keyframe) because ffmpeg's input queue was full.",
  );
  for (const s of m.streams)
    out.push(`hearth_media_input_dropped_bytes_total{stream="${s.publicId}"} ${s.feedDrops.droppedBytes}`);
  family("hearth_media_input_overflows_total", "counter", "Times a stream's ffmpeg input queue overflowed.");
  for (const s of m.streams)
    out.push(`hearth_media_input_overflows_total{stream="${s.publicId}"} ${s.feedDrops.overflows}`);
  family("hearth_media_degradations_total", "counter", "Times a stream was made cheaper to stay real-time.");
  for (const s of m.streams)
    out.push(`hearth_media_degradations_total{stream="${s.publicId}"} ${s.degradations}`);
  out.push(`hearth_media_degradations_total{stream="_ended"} ${m.degradationsEnded ?? 0}`);
  family(
    "hearth_media_publish_refused_total",
    "counter",
    "Publishes refused: the node was at its stream limit.",
  );
  out.push(`hearth_media_publish_refused_total ${m.refusals ?? 0}`);
  if (m.budget) {
    family("hearth_media_transcode_budget", "gauge", "Transcode budget (veryfast Mpx/s): total and in use.");
    out.push(`hearth_media_transcode_budget{kind="total"} ${m.budget.total}`);
    out.push(`hearth_media_transcode_budget{kind="used"} ${m.budget.used}`);
  }
  return `${out.join("\n")}\n`;
}
