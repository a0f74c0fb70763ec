/**
 * Capacity of one media node (issue 14): N concurrent 720p30 RTMP publishers stream-copying a pre-encoded clip
 * (so the publishers cost almost nothing), N stepping up. For each N, over a short window: per stream its speed,
 * how far its newest part is behind the wall clock (p50/p95/max), the rungs and preset it got; the node's CPU
 * (Bun process + its ffmpeg transcoders) and RSS; GET /streams p99. Then every stream is stopped and the
 * ffmpeg processes still alive 3 s later are counted.
 *
 * The node runs in this process beside the manager and chat (tests/e2e/media-harness.ts): RSS is the whole
 * platform's, an upper bound for the node's.
 *
 * Newest-part age is read from the program date-times of each stream's lowest rung; after a degradation (an
 * ffmpeg restart) those can run ahead of the wall clock (negative ages), so the age is indicative, not exact.
 *
 * Run: bun bench/capacity/run.ts   (BENCH_STEPS=1,2,4,6,8,12  BENCH_WINDOW=15 seconds per step)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MediaStreamStatus, type StartedStream } from "@hearth/contracts";
import { createStream, lookup, startPlatform } from "../../tests/e2e/media-harness.ts";
import { alive, cmdline, cpuTicks, descendants } from "../../tests/e2e/support/processes.ts";
import { FFMPEG_QUIET, syntheticSourceArgs } from "../../tests/e2e/support/synthetic-source.ts";

const STEPS = (process.env.BENCH_STEPS ?? "1,2,4,6,8,12").split(",").map(Number);
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 15);
const SEGMENT_S = 1;
const TICK = 100; // USER_HZ

const work = mkdtempSync(join(tmpdir(), "hearth-bench-capacity-"));
const clip = join(work, "clip.mp4");
console.log("encoding a 20 s 720p30 clip (veryfast, 3 Mb/s, 1 s GOP) ...");
const enc = Bun.spawn(
  [
    "ffmpeg",
    ...syntheticSourceArgs({ seconds: 20, realtime: false, preset: "veryfast", capped: true }),
    "-y",
    clip,
  ],
  { stdout: "ignore", stderr: "inherit" },
);
if ((await enc.exited) !== 0) throw new Error("could not encode the clip");

// The real default budget and preset of this machine (X264_PRESET veryfast, budget from the core count).
// The harness turns degradation off for the suites that test the ladder's shape: here it is the point.
const p = await startPlatform({ X264_PRESET: "veryfast", MEDIA_DEGRADE: "true" });
const publishers = new Map<string, Bun.Subprocess>();
const streams: StartedStream[] = [];

function publish(s: StartedStream): Bun.Subprocess {
  return Bun.spawn(
    [
      "ffmpeg",
      ...FFMPEG_QUIET,
      ...["-re", "-stream_loop", "-1", "-i", clip, "-c", "copy", "-f", "flv"],
      `${s.rtmp.server}/${s.rtmp.streamKey}`,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
}

const ticks = (pid: number) => cpuTicks(pid) ?? 0;
/** The transcoders (and thumbnail grabs): our ffmpeg children that are not publishers. */
const transcoders = () => {
  const pubs = new Set([...publishers.values()].map((x) => x.pid));
  return descendants(process.pid).filter((pid) => !pubs.has(pid) && cmdline(pid).startsWith("ffmpeg"));
};
/** CPU ticks per process seen during a window: a transcoder replaced mid-window still counts what it used. */
function cpuMeter() {
  const start = ticks(process.pid);
  const seen = new Map<number, { first: number; last: number }>();
  const sample = () => {
    for (const pid of transcoders()) {
      const t = ticks(pid);
      const e = seen.get(pid);
      // A transcoder first seen mid-window started then: all its ticks count.
      if (e) e.last = Math.max(e.last, t);
      else seen.set(pid, { first: seenAtStart ? t : 0, last: t });
    }
  };
  let seenAtStart = true;
  sample();
  seenAtStart = false;
  return {
    sample,
    ticks: () => ticks(process.pid) - start + [...seen.values()].reduce((a, e) => a + e.last - e.first, 0),
  };
}
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;

/** When the newest part of a media playlist ends, ms since the epoch (from its PROGRAM-DATE-TIME). */
function newestEnd(text: string): number | null {
  let cursor: number | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) cursor = Date.parse(line.slice(25));
    else if (line.startsWith("#EXTINF:") && cursor !== null)
      cursor += Number.parseFloat(line.slice(8)) * 1000;
  }
  // Parts after the last complete segment.
  const tail = text.slice(text.lastIndexOf(".m4s\n") + 1);
  if (cursor !== null)
    for (const m of tail.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)) cursor += Number(m[1]) * 1000;
  return cursor;
}

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

interface StepResult {
  n: number;
  allFull: boolean;
  allRealtime: boolean;
}
const results: StepResult[] = [];

try {
  for (const n of STEPS) {
    while (streams.length < n) {
      // An overloaded platform may time out a creation: try a few times before giving up on the step.
      let s: StartedStream | null = null;
      for (let attempt = 0; attempt < 3 && !s; attempt++)
        s = await createStream(p.managerUrl, `bench ${streams.length}`).catch((err) => {
          console.error(`start_stream failed (${(err as Error).message}); retrying`);
          return null;
        });
      if (!s) throw new Error("could not create a stream");
      streams.push(s);
      publishers.set(s.publicId, publish(s));
    }
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      const live = await Promise.all(
        streams.map(async (s) => (await lookup(p.managerUrl, s.publicId).catch(() => null))?.live ?? false),
      );
      if (live.every(Boolean)) break;
      await Bun.sleep(500);
    }
    await Bun.sleep(3000); // let the newest ones settle
    const ages = new Map<string, number[]>();
    const speeds = new Map<string, number[]>();
    const api: number[] = [];
    const cpu = cpuMeter();
    const w0 = Date.now();
    let rssPeak = 0;
    while (Date.now() - w0 < WINDOW_S * 1000) {
      const tickStart = Date.now();
      await Promise.all(
        streams.map(async (s) => {
          const st = MediaStreamStatus.parse(
            await (await fetch(`${p.mediaUrl}/streams/${s.publicId}/status`)).json(),
          );
          if (st.transcoder?.speed != null)
            speeds.set(s.publicId, [...(speeds.get(s.publicId) ?? []), st.transcoder.speed]);
          const rung = st.quality?.rungs.at(-1) ?? "source";
          const res = await fetch(`${p.mediaUrl}/hls/${s.publicId}/${rung}/index.m3u8`);
          const end = res.ok ? newestEnd(await res.text()) : null;
          if (end !== null)
            ages.set(s.publicId, [...(ages.get(s.publicId) ?? []), (Date.now() - end) / 1000]);
        }),
      );
      for (let i = 0; i < 5; i++) {
        const a = performance.now();
        await (await fetch(`${p.managerUrl}/streams`)).arrayBuffer();
        api.push(performance.now() - a);
      }
      rssPeak = Math.max(rssPeak, rssMiB());
      cpu.sample();
      await Bun.sleep(Math.max(0, 1000 - (Date.now() - tickStart)));
    }
    cpu.sample();
    const cores = cpu.ticks() / TICK / ((Date.now() - w0) / 1000);
    console.log(
      `\nN=${n}: node CPU ${cores.toFixed(2)} cores, RSS peak ${rssPeak.toFixed(0)} MiB, GET /streams p99 ${pct(api, 0.99).toFixed(1)} ms`,
    );
    let allFull = true;
    let allRealtime = true;
    for (const s of streams) {
      const st = MediaStreamStatus.parse(
        await (await fetch(`${p.mediaUrl}/streams/${s.publicId}/status`)).json(),
      );
      const a = ages.get(s.publicId) ?? [];
      const sp = speeds.get(s.publicId) ?? [];
      const p95 = pct(a, 0.95);
      const realtime = a.length > 0 && p95 <= SEGMENT_S + 2;
      const q = st.quality;
      if (!realtime) allRealtime = false;
      if (!realtime || q?.level !== "full") allFull = false;
      console.log(
        `  ${s.publicId} ${q?.level ?? "?"} ${q?.preset ?? "-"} [${q?.rungs.join(",") ?? ""}] speed ${sp.at(-1)?.toFixed(2) ?? "-"} age p50 ${pct(a, 0.5).toFixed(2)} p95 ${p95.toFixed(2)} max ${Math.max(...a).toFixed(2)} s${realtime ? "" : "  BEHIND"}${q?.reason ? `  (${q.reason})` : ""}`,
      );
    }
    results.push({ n, allFull, allRealtime });
  }
} finally {
  // Every publisher leaves and every stream is stopped at the same moment; 3 s later no ffmpeg may be left.
  const stopAt = Date.now();
  for (const pub of publishers.values()) pub.kill("SIGKILL");
  const stops = Promise.all(
    streams.map((s) =>
      fetch(`${p.managerUrl}/stop_stream/${s.publicId}`, {
        method: "POST",
        headers: { authorization: `Bearer ${s.privateId}` },
      }).catch(() => null),
    ),
  );
  await Bun.sleep(Math.max(0, 3000 - (Date.now() - stopAt)));
  const left = transcoders().filter(alive);
  console.log(`\nffmpeg processes left 3 s after all streams were stopped: ${left.length}`);
  await stops;
  const full = results.filter((r) => r.allFull).map((r) => r.n);
  const rt = results.filter((r) => r.allRealtime).map((r) => r.n);
  console.log(
    `largest N with every stream on the full ladder in real time: ${full.length ? Math.max(...full) : 0}`,
  );
  console.log(`largest N with every stream in real time at any quality: ${rt.length ? Math.max(...rt) : 0}`);
  const metrics = await (await fetch(`${p.mediaUrl}/metrics`)).text();
  for (const l of metrics.split("\n"))
    if (/^hearth_media_(degradations_total\{stream="_ended"|transcode_budget|publish_refused)/.test(l))
      console.log(l);
  await p.stop();
  rmSync(work, { recursive: true, force: true });
}
