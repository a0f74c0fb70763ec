/**
 * CPU cores used per live 720p30 stream, at real time, for:
 *  - the default ladder in ONE ffmpeg (one decode, split to scalers) with x264 ultrafast/superfast/veryfast;
 *  - the naive approach with veryfast: one ffmpeg per rung, each decoding the input itself
 *    (as nginx-rtmp `exec` or node-media-server 2 "fission" do).
 * CPU is read from /proc/<pid>/stat (utime+stime) of the transcoding processes only, over a fixed window.
 * Also measures MPEG-TS vs fMP4 segment overhead at the 360p rung.
 * Run: bun bench/transcode/run.ts   (BENCH_SECONDS=30 by default)
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LADDER } from "../../apps/media/src/env.ts";
import { type PlannedRung, planLadder } from "../../apps/media/src/ladder.ts";
import { buildTranscodeArgs } from "../../apps/media/src/transcode-args.ts";
import { cpuTicks } from "../../tests/e2e/support/processes.ts";
import { syntheticSourceArgs } from "../../tests/e2e/support/synthetic-source.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP = 3;
const TICK = 100; // USER_HZ on Linux
const work = mkdtempSync(join(tmpdir(), "hearth-bench-transcode-"));
let source = join(work, "source.flv");

function run(cmd: string[]): Promise<number> {
  return Bun.spawn(cmd, { stdout: "ignore", stderr: "inherit", stdin: "ignore" }).exited;
}

/**
 * A pre-encoded 720p30 H.264/AAC file: the publisher's own encoding is not part of what we measure.
 * "noisy" adds temporal noise at 6 Mb/s, closer to a camera: decoding it costs more, which is what the
 * naive approach pays once per rung.
 */
async function makeSource(path: string, noisy: boolean): Promise<void> {
  const source = syntheticSourceArgs({
    seconds: SECONDS + WARMUP + 5,
    noise: noisy,
    preset: "veryfast",
    videoKbps: noisy ? 6000 : 3000,
    capped: true,
    realtime: false,
  });
  await run(["ffmpeg", "-y", ...source, "-f", "flv", path]);
}

/** A real-time feeder: `-re` copy of the source as FLV on stdout (its CPU is not counted). */
function feeder(): Bun.Subprocess<"ignore", "pipe", "ignore"> {
  return Bun.spawn(
    ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-i", source, "-c", "copy", "-f", "flv", "-"],
    { stdin: "ignore", stdout: "pipe", stderr: "ignore" },
  );
}

/** Runs transcoders fed in real time and returns the cores they used over the window. */
async function measure(label: string, commands: string[][]): Promise<number> {
  const procs = commands.map((args) => {
    const feed = feeder();
    const t = Bun.spawn(["ffmpeg", ...args], { stdin: feed.stdout, stdout: "ignore", stderr: "pipe" });
    return { feed, t };
  });
  await Bun.sleep(WARMUP * 1000);
  const t0 = performance.now();
  const c0 = procs.reduce((n, p) => n + (cpuTicks(p.t.pid) ?? 0), 0);
  await Bun.sleep(SECONDS * 1000);
  const c1 = procs.reduce((n, p) => n + (cpuTicks(p.t.pid) ?? 0), 0);
  const dead = procs.filter((p) => p.t.exitCode !== null);
  if (dead.length > 0)
    throw new Error(`${label}: ffmpeg exited early: ${await new Response(dead[0]?.t.stderr).text()}`);
  const wall = (performance.now() - t0) / 1000;
  for (const p of procs) {
    p.t.kill("SIGKILL");
    p.feed.kill("SIGKILL");
    await p.t.exited;
    await p.feed.exited;
  }
  const cores = (c1 - c0) / TICK / wall;
  console.log(`${label.padEnd(34)} ${cores.toFixed(2)} cores  (${commands.length} ffmpeg)`);
  return cores;
}

function ladderArgs(rungs: PlannedRung[], preset: string, out: string): string[] {
  mkdirSync(out, { recursive: true });
  const args = buildTranscodeArgs({
    input: { kind: "flv-pipe" },
    rungs,
    segmentSeconds: 1,
    partSeconds: 0.2,
    frameRate: 30,
    preset,
  });
  // The node pipes rung i's CMAF to descriptor 3 + i for its packager; here each goes to a file instead.
  return args.map((a) => (/^pipe:([3-9]|\d\d)$/.test(a) ? join(out, `rung-${a.slice(5)}.mp4`) : a));
}

/** How each measured ffmpeg reads the feeder's FLV (quiet: only errors reach the bench's output). */
const FLV_ON_STDIN = ["-hide_banner", "-loglevel", "error", "-f", "flv", "-i", "pipe:0"];

/** The naive shape: one process per rung, each decoding (and, for scaled rungs, scaling) on its own. */
function naiveArgs(r: PlannedRung, preset: string, out: string): string[] {
  mkdirSync(join(out, r.name), { recursive: true });
  const video =
    r.video.mode === "copy"
      ? ["-c:v", "copy"]
      : [
          "-vf",
          `scale=${r.width}:${r.height}`,
          "-c:v",
          "libx264",
          "-preset",
          preset,
          "-tune",
          "zerolatency",
          "-b:v",
          `${r.video.kbps}k`,
          "-maxrate",
          `${r.video.kbps}k`,
          "-bufsize",
          `${r.video.kbps * 2}k`,
          "-force_key_frames",
          "expr:gte(t,n_forced*1)",
          "-sc_threshold",
          "0",
          "-pix_fmt",
          "yuv420p",
        ];
  const audio = r.audio?.mode === "encode" ? ["-c:a", "aac", "-b:a", `${r.audio.kbps}k`] : ["-c:a", "copy"];
  return [
    ...FLV_ON_STDIN,
    ...video,
    ...audio,
    "-f",
    "hls",
    "-hls_time",
    "1",
    "-hls_list_size",
    "6",
    "-hls_flags",
    "+delete_segments",
    join(out, r.name, "index.m3u8"),
  ];
}

/** Decoding the source's video and nothing else: the work the naive shape repeats for every encoded rung. */
function decodeOnlyArgs(): string[] {
  return [...FLV_ON_STDIN, "-map", "0:v:0", "-f", "null", "-"];
}

/** Bytes per second of media for the same 360p rung muxed as MPEG-TS and as fMP4. */
async function segmentOverhead(): Promise<void> {
  const sizes: Record<string, number> = {};
  for (const type of ["mpegts", "fmp4"]) {
    const dir = join(work, `fmt-${type}`);
    mkdirSync(dir, { recursive: true });
    await run([
      "ffmpeg",
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      source,
      "-t",
      "20",
      "-vf",
      "scale=640:360",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-b:v",
      "600k",
      "-maxrate",
      "600k",
      "-bufsize",
      "1200k",
      "-force_key_frames",
      "expr:gte(t,n_forced*1)",
      "-sc_threshold",
      "0",
      "-c:a",
      "aac",
      "-b:a",
      "96k",
      "-f",
      "hls",
      "-hls_time",
      "1",
      "-hls_list_size",
      "0",
      "-hls_segment_type",
      type,
      "-hls_segment_filename",
      join(dir, `s_%d.${type === "fmp4" ? "m4s" : "ts"}`),
      join(dir, "index.m3u8"),
    ]);
    sizes[type] = readdirSync(dir)
      .filter((f) => !f.endsWith(".m3u8"))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  }
  const ts = sizes.mpegts ?? 0;
  const mp4 = sizes.fmp4 ?? 1;
  console.log(
    `segment bytes, 360p 600k+96k, 20 s: mpegts ${ts}  fmp4 ${mp4}  (TS is ${(((ts - mp4) / mp4) * 100).toFixed(1)}% larger)`,
  );
}

try {
  console.log(`bench/transcode: ${SECONDS} s windows at real time, 720p30 H.264/AAC source, default ladder`);
  console.log("note: 2 shared cores; other work on the machine inflates and scatters these numbers\n");
  const rungs = planLadder(DEFAULT_LADDER, {
    videoCodec: "h264",
    width: 1280,
    height: 720,
    fps: 30,
    audioCodec: "aac",
  });
  for (const noisy of [false, true]) {
    source = join(work, noisy ? "noisy.flv" : "clean.flv");
    await makeSource(source, noisy);
    console.log(noisy ? "\nsource: testsrc2 + temporal noise, 6 Mb/s" : "source: testsrc2, 3 Mb/s");
    const results: Record<string, number> = {};
    for (const preset of noisy ? ["veryfast"] : ["ultrafast", "superfast", "veryfast"]) {
      results[preset] = await measure(`one ffmpeg, ladder, ${preset}`, [
        ladderArgs(rungs, preset, join(work, `${noisy}-${preset}`)),
      ]);
    }
    results.naive = await measure(
      "naive: ffmpeg per rung, veryfast",
      rungs.map((r) => naiveArgs(r, "veryfast", join(work, `${noisy}-naive`))),
    );
    const ladder = results.veryfast ?? 0;
    const ratio = ladder / (results.naive ?? 1);
    console.log(`ladder/naive (veryfast): ${ratio.toFixed(2)}x  (target <= 0.6x)`);
    // What one decode can save at most: the naive shape decodes once per encoded rung, the ladder once;
    // the encodes are the same work in both. So naive ~ ladder + (k - 1) x decode, and the ratio cannot
    // drop below ladder / (ladder + (k - 1) x decode) whatever the ladder's own plumbing costs.
    const decode = await measure("decode only (one per naive rung)", [decodeOnlyArgs()]);
    const encoded = rungs.filter((r) => r.video.mode === "encode").length;
    console.log(
      `one decode saves ${encoded - 1} x ${decode.toFixed(3)} cores; predicted ratio ` +
        `${(ladder / (ladder + (encoded - 1) * decode)).toFixed(2)}x; 0.6x would need the ladder at <= ` +
        `${(1.5 * (encoded - 1) * decode).toFixed(2)} cores, its ${encoded} x264 encodes included`,
    );
  }
  source = join(work, "clean.flv");
  await segmentOverhead();
} finally {
  rmSync(work, { recursive: true, force: true });
}
