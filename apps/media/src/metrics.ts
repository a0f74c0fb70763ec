import type { ConnectionLimits } from "./connection-limits.ts";
import type { StreamMetrics } from "./stream-registry.ts";

/** Renders the media node's Prometheus text exposition. */
export function renderMetrics(m: {
  streams: StreamMetrics[];
  restartsEnded: number;
  /** The connection limits' counters, when the node has limits. */
  limits?: ReturnType<ConnectionLimits["snapshot"]>;
}): string {
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
  if (m.limits) {
    family("hearth_media_connections_refused_total", "counter", "Connections refused or closed by a limit.");
    for (const [limit, n] of Object.entries(m.limits.refused))
      out.push(`hearth_media_connections_refused_total{limit="${limit}"} ${n}`);
    family("hearth_media_rtmp_connections", "gauge", "Open RTMP connections.");
    out.push(`hearth_media_rtmp_connections ${m.limits.rtmpConnections}`);
    family("hearth_media_rtmp_handshakes", "gauge", "RTMP connections not yet publishing.");
    out.push(`hearth_media_rtmp_handshakes ${m.limits.rtmpHandshaking}`);
    family("hearth_media_whip_setups", "gauge", "WHIP offers being answered.");
    out.push(`hearth_media_whip_setups ${m.limits.whipSetups}`);
  }
  return `${out.join("\n")}\n`;
}
