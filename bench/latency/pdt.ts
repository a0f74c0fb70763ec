/**
 * The player's own latency figure, not glass-to-glass (that is bench/latency/run.ts, read from the picture): kept
 * to compare packagings. Headless Chromium (hls.js 1.7.4), Date.now() − hls.playingDate sampled every
 * second: Hearth's LL-HLS packager at the origin and through the infra/ nginx edge + shield; the same packager's
 * playlists as standard HLS (hls.js lowLatencyMode off) with 1 s and 2 s segments; and, as a baseline, ffmpeg's
 * HLS muxer with 1 s and 2 s segments. Ends with a Markdown table (p50, p95, page load → first frame). The "glass" is
 * ffmpeg's -re test source: program date-time is stamped when a frame leaves the encoder (LL-HLS) or
 * when the muxer started plus media time (ffmpeg HLS), so encoder delay is inside the numbers.
 * Run: bun bench/latency/pdt.ts [seconds=60]
 */
import { startCdn } from "../../tests/e2e/cdn-harness.ts";
import { PUBLIC_ID, startLlhlsRig } from "../../tests/e2e/llhls-harness.ts";
import { type ViewResult, view } from "../../tests/e2e/support/chromium-viewer.ts";
import { percentile } from "../../tests/e2e/support/stats.ts";
import { startStandardHls } from "./standard-hls.ts";

const seconds = Number(process.argv[2] ?? 60);
/** Let the stream build a few segments first, as a viewer joining a live stream would find it. */
const WARMUP_MS = 6000;

const table: string[] = [];

/** One scenario's line now, and its row for the closing table. */
function report(name: string, r: ViewResult): void {
  const l = r.latencies;
  const f = (n: number) => `${(n / 1000).toFixed(2)} s`;
  table.push(
    `| ${name} | ${f(percentile(l, 50))} | ${f(percentile(l, 95))} | ${r.firstFrameMs === null ? "none" : `${Math.round(r.firstFrameMs)} ms`} |`,
  );
  console.log(line(name, r));
}

function line(name: string, r: ViewResult): string {
  const l = r.latencies;
  const f = (n: number) => (n / 1000).toFixed(2);
  return `${name.padEnd(26)} samples=${String(l.length).padStart(3)} p50=${f(percentile(l, 50))} s p95=${f(percentile(l, 95))} s min=${f(Math.min(...l))} s max=${f(Math.max(...l))} s first-frame=${r.firstFrameMs === null ? "none" : `${Math.round(r.firstFrameMs)} ms`} stalls=${r.stalls} parts=${r.partsLoaded} played=${r.played.toFixed(1)} s${r.errors.length ? ` errors=${r.errors.slice(0, 3).join("|")}` : ""}`;
}

console.log(
  `latency: ${seconds} s per scenario, 320x180@30 test source, one Chromium viewer; 2 shared cores, other suites may run`,
);

{
  const rig = startLlhlsRig({ segmentSeconds: 1, partSeconds: 0.2 });
  rig.startInput();
  await Bun.sleep(WARMUP_MS);
  try {
    report("LL-HLS, origin", await view(`${rig.url}/master.m3u8`, { lowLatency: true, seconds }));
    // The same playlists read by a player without LL-HLS (hls.js with lowLatencyMode off): plain live HLS.
    report(
      "Hearth, hls.js LL off, 1 s",
      await view(`${rig.url}/master.m3u8`, { lowLatency: false, seconds }),
    );
  } finally {
    await rig.stop();
  }
}
{
  // The same packager behind infra/cdn.sh's shield + edge, mounted under /hls as the media node mounts it.
  const rig = startLlhlsRig({ segmentSeconds: 1, partSeconds: 0.2, pathPrefix: "/hls" });
  rig.startInput();
  const cdn = await startCdn({
    media: [{ id: "media-1", port: Number(new URL(rig.url).port) }],
    accessLog: false,
  });
  await Bun.sleep(WARMUP_MS);
  try {
    const url = `${cdn.edge}/hls/media-1/${PUBLIC_ID}/master.m3u8`;
    report("LL-HLS, through the edge", await view(url, { lowLatency: true, seconds }));
  } finally {
    await cdn.stop();
    await rig.stop();
  }
}
{
  // Standard HLS from Hearth's packager: the same playlists, read by hls.js with lowLatencyMode off, 2 s segments.
  const rig = startLlhlsRig({ segmentSeconds: 2, partSeconds: 0.2 });
  rig.startInput();
  await Bun.sleep(WARMUP_MS + 2000);
  try {
    report(
      "Hearth, hls.js LL off, 2 s",
      await view(`${rig.url}/master.m3u8`, { lowLatency: false, seconds }),
    );
  } finally {
    await rig.stop();
  }
}
for (const seg of [1, 2]) {
  const std = startStandardHls(seg);
  await Bun.sleep(WARMUP_MS + seg * 1000);
  try {
    report(`baseline: ffmpeg HLS muxer, ${seg} s`, await view(std.url, { lowLatency: false, seconds }));
  } finally {
    await std.stop();
  }
}

console.log(
  ["", "| scenario | p50 | p95 | page load → first frame |", "| --- | --- | --- | --- |", ...table].join(
    "\n",
  ),
);
