/**
 * Ingest latency: from a frame being published over RTMP to the segment holding it being listed in
 * its variant playlist. A real-time ffmpeg publisher (720p30, 1 s GOP) feeds the real media pipeline
 * (RTMP ingest → one-decode ladder → CMAF → Hearth's packager); the packagers' complete segments (what
 * the playlists list) are polled every 10 ms.
 * For segment n starting at media time s_n (sum of the EXTINF before it) and listed at wall time L_n,
 * the first frame in it was published at T0 + s_n, so its latency is L_n - T0 - s_n; the target is
 * segment length + 150 ms. Run: bun bench/latency-ingest/run.ts   (BENCH_SECONDS=20 by default)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LADDER } from "../../apps/media/src/env.ts";
import { LlhlsRegistry } from "../../apps/media/src/llhls/llhls-stream.ts";
import { startRtmpIngest } from "../../apps/media/src/rtmp-ingest.ts";
import { rtmpPublishHandler } from "../../apps/media/src/rtmp-publish.ts";
import { StreamRegistry } from "../../apps/media/src/stream-registry.ts";
import { createLogger } from "../../packages/server-kit/src/index.ts";
import { publishSynthetic } from "../../tests/e2e/support/synthetic-source.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const SEGMENT = Number(process.env.SEGMENT_SECONDS ?? 1);
const PRESET = process.env.X264_PRESET ?? "veryfast";
const PUBLIC_ID = "latencyBench01";
const KEY = `live_${crypto.randomUUID().replaceAll("-", "")}`;
const hlsDir = mkdtempSync(join(tmpdir(), "hearth-bench-latency-"));
const logger = createLogger({ svc: "bench" }, { silent: true });

let publishedAt = 0;
const llhls = new LlhlsRegistry();
const registry = new StreamRegistry({
  hlsDir,
  llhls,
  ladder: DEFAULT_LADDER,
  segmentSeconds: SEGMENT,
  partSeconds: 0.2,
  listSize: 12,
  preset: PRESET,
  ffmpegPath: "ffmpeg",
  logger,
  reporter: { report: async () => {} },
  retentionSeconds: 0,
  reconnectGraceSeconds: 0,
});
const handler = rtmpPublishHandler({
  verifier: { verify: async (k) => (k === KEY ? PUBLIC_ID : null) },
  pipeline: registry,
  logger,
});
const rtmp = await startRtmpIngest({
  port: 0,
  host: "127.0.0.1",
  logger,
  onPublish(pub) {
    // The first media tag follows the publish command within milliseconds; with -re, the frame at
    // media time t leaves the publisher at publishedAt + t.
    publishedAt = performance.now();
    handler(pub);
  },
});

const publisher = publishSynthetic(
  `rtmp://127.0.0.1:${rtmp.port}/live/${KEY}`,
  { seconds: SECONDS + 6, gopSeconds: SEGMENT },
  "inherit",
);

// The default ladder for a 720p source (Twitch-style: no second 720p rung under a copied 720p source).
const rungs = ["source", "480p", "360p", "160p"];
const seen = rungs.map(() => new Map<number, { listedAt: number; duration: number }>());
const deadline = performance.now() + (SECONDS + 2) * 1000;
while (performance.now() < deadline) {
  const now = performance.now();
  for (const [i, rung] of rungs.entries()) {
    for (const s of llhls.get(PUBLIC_ID)?.rendition(rung)?.segments ?? []) {
      // A segment is listed (EXTINF + URI) once it is complete.
      if (s.bytes && !seen[i]?.has(s.msn)) seen[i]?.set(s.msn, { listedAt: now, duration: s.duration });
    }
  }
  await Bun.sleep(10);
}

console.log(`bench/latency-ingest: ${SECONDS} s publish, ${SEGMENT} s segments, preset ${PRESET}`);
console.log("note: 2 shared cores; other work on the machine adds to these numbers\n");
for (const [i, rung] of rungs.entries()) {
  const entries = [...(seen[i]?.entries() ?? [])].sort((a, b) => a[0] - b[0]);
  let start = 0;
  const excess: number[] = [];
  for (const [seq, e] of entries) {
    // Skip the first segments (start-up: probing and encoder init) and the runt at the end.
    if (seq >= 2 && e.duration >= SEGMENT * 0.9)
      excess.push(e.listedAt - publishedAt - start * 1000 - e.duration * 1000);
    start += e.duration;
  }
  if (process.env.BENCH_VERBOSE) console.log(rung, excess.map((x) => x.toFixed(0)).join(" "));
  excess.sort((a, b) => a - b);
  const pct = (p: number) => excess[Math.min(excess.length - 1, Math.floor(p * excess.length))] ?? Number.NaN;
  console.log(
    `${rung.padEnd(7)} first frame → listed: median ${(SEGMENT * 1000 + pct(0.5)).toFixed(0)} ms, p95 ${(SEGMENT * 1000 + pct(0.95)).toFixed(0)} ms` +
      `  (over segment length: median ${pct(0.5).toFixed(0)} ms, p95 ${pct(0.95).toFixed(0)} ms; target 150 ms; n=${excess.length})`,
  );
}

publisher.kill("SIGKILL");
await publisher.exited;
await registry.stopAll();
await rtmp.stop();
rmSync(hlsDir, { recursive: true, force: true });
process.exit(0);
