/**
 * WHIP ingest benchmark: server CPU per WebRTC stream at 720p30 / 2.5 Mb/s, and the time from the
 * WHIP answer to the first HLS master playlist.  Run: bun bench/whip/run.ts [--quick]
 *
 * A. ingest only: the WHIP server (werift forwarding RTP to loopback UDP) + per stream one ffmpeg with
 *    the transcoder's RTP input flags copying to null (the demux share of the one transcoder; there is
 *    no relay ffmpeg any more); N = 1 and 2 publishers.
 * B. ingest + ladder: the same WHIP server wired to the real media node (manager and chat in the same
 *    process), which transcodes the default ladder; N = 1.
 * Publishers are separate processes (werift + an ffmpeg looping a pre-encoded clip with -re), so their
 * CPU is not counted. CPU = utime + stime from /proc over a fixed window, for the server process and
 * every process it started. The machine has 2 shared cores and other suites may run at the same time.
 */
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicks, descendants } from "../../tests/e2e/support/processes.ts";

const QUICK = process.argv.includes("--quick");
const WARMUP_MS = QUICK ? 5000 : 8000;
const WINDOW_MS = QUICK ? 8000 : 20_000;
const CLIP = join(tmpdir(), "hearth-whip-bench-720p30-2500k.ts");
const TICKS = Number(new TextDecoder().decode(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout).trim()) || 100;
const here = import.meta.dir;

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0)
    throw new Error(`${cmd[0]} failed: ${new TextDecoder().decode(r.stderr).slice(-500)}`);
}

/**
 * A 20 s 720p30 H.264 (baseline, 2 s GOP) + Opus clip at ~2.5 Mb/s; noise keeps the encoder at its
 * target. MPEG-TS keeps SPS/PPS in front of every IDR (as browsers send them) and loops cleanly.
 */
function ensureClip(): void {
  if (existsSync(CLIP)) return;
  console.log("encoding the 720p30 / 2.5 Mb/s test clip (once) ...");
  run(
    [
      "ffmpeg",
      "-hide_banner",
      ["-loglevel", "error", "-y"],
      ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t"],
      ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
      ["-t", "20", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-pix_fmt", "yuv420p"],
      ["-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "2500k", "-g", "60", "-keyint_min", "60"],
      ["-sc_threshold", "0", "-c:a", "libopus", "-b:a", "64k", "-ac", "2", "-ar", "48000", CLIP],
    ].flat(),
  );
}

function clipKbps(): number {
  const r = Bun.spawnSync([
    "ffprobe",
    "-v",
    "error",
    "-show_entries",
    "format=bit_rate",
    "-of",
    "csv=p=0",
    CLIP,
  ]);
  return Math.round(Number(new TextDecoder().decode(r.stdout).trim()) / 1000);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** Cores used by `root` and each of its descendants over `ms`, grouped by `group(pid)`. */
async function sampleCpu(
  root: number,
  ms: number,
  group: (pid: number) => string,
): Promise<Record<string, number>> {
  const pids = [root, ...descendants(root)];
  const before = new Map(pids.map((p) => [p, cpuTicks(p)]));
  const t0 = performance.now();
  await Bun.sleep(ms);
  const seconds = (performance.now() - t0) / 1000;
  const out: Record<string, number> = {};
  for (const pid of pids) {
    const a = before.get(pid);
    const b = cpuTicks(pid);
    if (a === undefined || b === undefined) continue;
    const name = group(pid);
    out[name] = (out[name] ?? 0) + (b - a) / TICKS / seconds;
  }
  return out;
}

async function readLine(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  timeoutMs: number,
): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
    if (!r || r.done) break;
    buf += decoder.decode(r.value, { stream: true });
    const line = buf.split("\n").find((l) => l.startsWith(prefix));
    if (line) {
      reader.releaseLock();
      return line.slice(prefix.length).trim();
    }
  }
  throw new Error(`no "${prefix}" line within ${timeoutMs} ms`);
}

interface Ready {
  whipUrl: string;
  pid: number;
  streams: { publicId: string; key: string }[];
  mediaUrl?: string;
}

async function startServer(
  args: string[],
): Promise<{ proc: Bun.Subprocess<"ignore", "pipe", "inherit">; ready: Ready }> {
  const proc = Bun.spawn(["bun", join(here, "server.ts"), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const ready = JSON.parse(await readLine(proc.stdout, "READY ", 60_000)) as Ready;
  return { proc, ready };
}

async function startPublisher(whipUrl: string, key: string) {
  const proc = Bun.spawn(["bun", join(here, "publisher.ts"), whipUrl, key, CLIP], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const postMs = Number(await readLine(proc.stdout, "PUBLISHED ", 20_000));
  return { proc, postMs, answeredAt: performance.now() };
}

async function stop(proc: Bun.Subprocess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  proc.kill(signal);
  const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(8000).then(() => false)]);
  if (!done) {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}

/** RTP bytes the server has forwarded to its relays so far (all sessions). */
async function forwardedBytes(whipUrl: string): Promise<number> {
  const stats = (await (await fetch(new URL("/bench/stats", whipUrl))).json()) as { bytes: number }[];
  return stats.reduce((sum, s) => sum + s.bytes, 0);
}

/** The ffmpeg reading a WHIP session's SDP file (in B: the transcoder itself). */
const isInput = (pid: number) => cmdline(pid).includes("hearth-whip-");
const fmt = (n: number) => n.toFixed(3);

async function ingestOnly(n: number): Promise<void> {
  const { proc, ready } = await startServer(["ingest", String(n)]);
  const pubs = [];
  try {
    for (const s of ready.streams) pubs.push(await startPublisher(`${ready.whipUrl}/${s.publicId}`, s.key));
    await Bun.sleep(WARMUP_MS);
    const bytesBefore = await forwardedBytes(ready.whipUrl);
    const t0 = performance.now();
    const cpu = await sampleCpu(ready.pid, WINDOW_MS, (pid) =>
      pid === ready.pid ? "werift" : isInput(pid) ? "input" : "other",
    );
    const kbps = (((await forwardedBytes(ready.whipUrl)) - bytesBefore) * 8) / (performance.now() - t0);
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    console.log(
      `A. ingest only, ${n} stream(s): total ${fmt(total)} cores = ${fmt(total / n)} per stream` +
        ` (werift/bun ${fmt(cpu.werift ?? 0)}, RTP input ffmpeg ${fmt(cpu.input ?? 0)});` +
        ` RTP forwarded ${Math.round(kbps / n)} kb/s per stream; WHIP POST ${pubs.map((p) => p.postMs).join("/")} ms`,
    );
  } finally {
    for (const p of pubs) await stop(p.proc);
    await stop(proc);
  }
}

async function ingestAndLadder(): Promise<void> {
  const { proc, ready } = await startServer(["platform", "1"]);
  const stream = ready.streams[0];
  if (!stream || !ready.mediaUrl) throw new Error("platform server gave no stream");
  let pub: Awaited<ReturnType<typeof startPublisher>> | undefined;
  try {
    pub = await startPublisher(`${ready.whipUrl}/${stream.publicId}`, stream.key);
    const deadline = Date.now() + 30_000;
    let playlistMs = Number.NaN;
    while (Date.now() < deadline) {
      const res = await fetch(`${ready.mediaUrl}/hls/${stream.publicId}/master.m3u8`).catch(() => undefined);
      if (res?.status === 200 && (await res.text()).includes("#EXT-X-STREAM-INF")) {
        playlistMs = performance.now() - pub.answeredAt;
        break;
      }
      await Bun.sleep(50);
    }
    await Bun.sleep(WARMUP_MS);
    const cpu = await sampleCpu(ready.pid, WINDOW_MS, (pid) =>
      pid === ready.pid ? "node" : cmdline(pid).includes("ffmpeg") ? "ladder" : "other",
    );
    const total = Object.values(cpu).reduce((a, b) => a + b, 0);
    console.log(
      `B. ingest + ladder, 1 stream: total ${fmt(total)} cores (bun: werift + media node + manager + chat ${fmt(cpu.node ?? 0)},` +
        ` the one ladder ffmpeg reading the RTP ${fmt(cpu.ladder ?? 0)}; no relay)`,
    );
    console.log(
      `   WHIP POST answered in ${pub.postMs} ms; answer → master playlist ${Math.round(playlistMs)} ms` +
        ` (+ POST = ingest-to-playlist ${Math.round(playlistMs + pub.postMs)} ms)`,
    );
  } finally {
    if (pub) await stop(pub.proc);
    await stop(proc);
  }
}

ensureClip();
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(
  `clip ${clipKbps()} kb/s (720p30 H.264 baseline + Opus); load average before: ${load}; window ${WINDOW_MS / 1000} s`,
);
await ingestOnly(1);
await ingestOnly(2);
await ingestAndLadder();
console.log("target: ingest alone <= 0.1 core per stream");
