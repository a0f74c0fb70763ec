/**
 * Capacity of one media node (issue 14): N concurrent 720p30 RTMP publishers stream-copying a pre-encoded clip
 * (so the publishers cost almost nothing), N stepping up. For each N, over a short window: per stream its speed,
 * how far its newest part is behind the wall clock (p50/p95/max), the rungs and preset it got; the node's CPU
 * (its Bun process + its ffmpeg transcoders) and RSS; GET /streams p99. Then every stream is stopped and the
 * ffmpeg processes still alive 3 s later are counted.
 *
 * The media node runs as its own process (`bun apps/media/src/main.ts`, tests/e2e/support/media-node-process.ts)
 * heart-beating to the manager, which runs with chat in this process over a fresh Postgres schema
 * (tests/e2e/support/control-plane.ts). So the node's CPU and RSS are its own (/proc/<pid> of the node and its
 * ffmpeg descendants), and GET /streams is answered by a manager that does not share its process with the node.
 *
 * Newest-part age is read from the program date-times of each stream's lowest rung; after a degradation (an
 * ffmpeg restart) those can run ahead of the wall clock (negative ages), so the age is indicative, not exact.
 * A stream that is not live when its step's window opens is shown with the node's status and the manager's
 * lookup of it (and its publisher's state and the node's last log lines about it), to see why.
 *
 * Run: bun bench/capacity/run.ts   (BENCH_STEPS=1,2,4,6,8,12  BENCH_WINDOW=15 seconds per step)
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { MediaStreamStatus, type StartedStream } from "@hearth/contracts";
import { mediaNodes } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { createStream, lookup } from "../../tests/e2e/media-harness.ts";
import { type ControlPlane, startControlPlane } from "../../tests/e2e/support/control-plane.ts";
import { NO_CREATION_LIMITS } from "../../tests/e2e/support/creation-limits.ts";
import { type MediaNodeProcess, spawnMediaNode } from "../../tests/e2e/support/media-node-process.ts";
import {
  alive,
  cmdline,
  cpuTicks,
  descendantRefs,
  descendants,
  type ProcessRef,
} from "../../tests/e2e/support/processes.ts";
import { FFMPEG_QUIET, syntheticSourceArgs } from "../../tests/e2e/support/synthetic-source.ts";
import { until } from "../../tests/e2e/support/until.ts";

const STEPS = (process.env.BENCH_STEPS ?? "1,2,4,6,8,12").split(",").map(Number);
const WINDOW_S = Number(process.env.BENCH_WINDOW ?? 15);
const SEGMENT_S = 1;
const TICK = 100; // USER_HZ
const TOKEN = `bench-capacity-${randomBytes(12).toString("hex")}`;

const work = mkdtempSync(join(tmpdir(), "hearth-bench-capacity-"));
const clip = join(work, "clip.mp4");
let cp: ControlPlane | undefined;
let node: MediaNodeProcess | undefined;
const publishers = new Map<string, Bun.Subprocess>();
const streams: StartedStream[] = [];

// Interrupted (Ctrl-C): no node, transcoder or publisher may outlive the bench.
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    for (const pub of publishers.values()) pub.kill("SIGKILL");
    if (node) {
      node.crash();
      rmSync(dirname(node.logFile), { recursive: true, force: true });
    }
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });

const nodeUrl = () => `http://127.0.0.1:${(node as MediaNodeProcess).httpPort}`;
const managerUrl = () => (cp as ControlPlane).managerUrl;

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

async function nodeStatus(publicId: string): Promise<MediaStreamStatus> {
  return MediaStreamStatus.parse(await (await fetch(`${nodeUrl()}/streams/${publicId}/status`)).json());
}

const ticks = (pid: number) => cpuTicks(pid) ?? 0;
/** The node's ffmpeg processes (transcoders and thumbnail grabs); the publishers are this process's children. */
const transcoders = () =>
  descendants((node as MediaNodeProcess).proc.pid).filter((pid) => cmdline(pid).startsWith("ffmpeg"));
/** Every process the node ran, noted as it appeared (pid + start time), for the count after the stop. */
const everSpawned = new Map<string, ProcessRef>();
const remember = () => {
  if (!node) return;
  for (const r of descendantRefs(node.proc.pid)) everSpawned.set(`${r.pid}:${r.startTime}`, r);
};

/** CPU ticks per process seen during a window: a transcoder replaced mid-window still counts what it used. */
function cpuMeter(nodePid: number) {
  const start = ticks(nodePid);
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
  const nodeTicks = () => ticks(nodePid) - start;
  const ffmpegTicks = () => [...seen.values()].reduce((a, e) => a + e.last - e.first, 0);
  return { sample, nodeTicks, ffmpegTicks };
}
const rssMiB = (pid: number) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

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

/** Why a stream is not live: the node's status, the manager's lookup, its publisher, the node's log about it. */
async function explainNotLive(s: StartedStream): Promise<void> {
  const st = await nodeStatus(s.publicId).catch((err: Error) => `unreadable (${err.message})`);
  const lk = await lookup(managerUrl(), s.publicId).catch((err: Error) => `unreadable (${err.message})`);
  const pub = publishers.get(s.publicId);
  const pubState =
    pub && pub.exitCode === null && pub.signalCode === null
      ? "running"
      : `exited ${pub?.exitCode ?? pub?.signalCode ?? "?"}`;
  console.log(`  ${s.publicId} NOT LIVE (publisher ${pubState})`);
  if (typeof st === "string") console.log(`    node: ${st}`);
  else
    console.log(
      `    node: ${JSON.stringify({ live: st.live, phase: st.phase, quality: st.quality, input: st.input, transcoder: st.transcoder })}`,
    );
  if (typeof lk === "string") console.log(`    manager: ${lk}`);
  else
    console.log(
      `    manager: ${JSON.stringify({ live: lk.live, reconnecting: lk.reconnecting, realtime: lk.realtime, quality: lk.quality, rungs: lk.rungs, refusal: lk.refusal })}`,
    );
  const logged = (node as MediaNodeProcess)
    .log()
    .split("\n")
    .filter((l) => l.includes(s.publicId))
    .slice(-3);
  for (const l of logged) console.log(`    node log: ${l.slice(0, 400)}`);
}

interface StepResult {
  n: number;
  allFull: boolean;
  allRealtime: boolean;
}
const results: StepResult[] = [];

try {
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

  cp = await startControlPlane({
    token: TOKEN,
    logger: createLogger({}, { silent: true }),
    dbMax: 4,
    env: { ...NO_CREATION_LIMITS },
  });
  // The node's own default budget and preset for this machine (X264_PRESET veryfast, the budget from its core
  // count). The e2e harness turns degradation off for the suites that test the ladder's shape: here it is the
  // point.
  node = await spawnMediaNode({
    id: "bench-capacity",
    managerUrl: cp.managerUrl,
    token: TOKEN,
    edge: "http://127.0.0.1:9",
    env: {
      X264_PRESET: "veryfast",
      MEDIA_DEGRADE: "true",
      // Every bench publisher connects from 127.0.0.1: the per-address cap (10 by default, a defence against one
      // client holding many connections) would refuse the 11th and 12th, as it did in the first runs.
      RTMP_MAX_CONNECTIONS_PER_IP: "64",
    },
  });
  const db = cp.db;
  await until("the media node registered with the manager", 15_000, async () => {
    const rows = await db.db.select().from(mediaNodes);
    return rows.length === 1 && rows.every((r) => Date.now() - r.heartbeatAt.getTime() < 3000);
  });
  const nodePid = node.proc.pid;
  const watcher = setInterval(remember, 250);
  remember();

  try {
    for (const n of STEPS) {
      while (streams.length < n) {
        // An overloaded platform may time out a creation: try a few times before giving up on the step.
        let s: StartedStream | null = null;
        for (let attempt = 0; attempt < 3 && !s; attempt++) {
          s = await createStream(managerUrl(), `bench ${streams.length}`).catch((err) => {
            console.error(`start_stream failed (${(err as Error).message}); retrying`);
            return null;
          });
          if (!s) await Bun.sleep(1000);
        }
        if (!s) throw new Error("could not create a stream");
        streams.push(s);
        publishers.set(s.publicId, publish(s));
      }
      const t0 = Date.now();
      let live: boolean[] = [];
      while (Date.now() - t0 < 60_000) {
        live = await Promise.all(
          streams.map(async (s) => (await lookup(managerUrl(), s.publicId).catch(() => null))?.live ?? false),
        );
        if (live.every(Boolean)) break;
        await Bun.sleep(500);
      }
      if (!live.every(Boolean)) {
        console.log(`\nN=${n}: ${live.filter((x) => !x).length} stream(s) not live after 60 s:`);
        for (const [i, s] of streams.entries()) if (!live[i]) await explainNotLive(s);
      }
      await Bun.sleep(3000); // let the newest ones settle
      const ages = new Map<string, number[]>();
      const speeds = new Map<string, number[]>();
      const api: number[] = [];
      const cpu = cpuMeter(nodePid);
      const w0 = Date.now();
      let rssPeak = 0;
      let ffRssPeak = 0;
      while (Date.now() - w0 < WINDOW_S * 1000) {
        const tickStart = Date.now();
        await Promise.all(
          streams.map(async (s) => {
            const st = await nodeStatus(s.publicId).catch(() => null);
            if (!st) return;
            if (st.transcoder?.speed != null)
              speeds.set(s.publicId, [...(speeds.get(s.publicId) ?? []), st.transcoder.speed]);
            const rung = st.quality?.rungs.at(-1) ?? "source";
            const res = await fetch(`${nodeUrl()}/hls/${s.publicId}/${rung}/index.m3u8`);
            const end = res.ok ? newestEnd(await res.text()) : null;
            if (end !== null)
              ages.set(s.publicId, [...(ages.get(s.publicId) ?? []), (Date.now() - end) / 1000]);
          }),
        );
        for (let i = 0; i < 5; i++) {
          const a = performance.now();
          await (await fetch(`${managerUrl()}/streams`)).arrayBuffer();
          api.push(performance.now() - a);
        }
        rssPeak = Math.max(rssPeak, rssMiB(nodePid));
        ffRssPeak = Math.max(
          ffRssPeak,
          transcoders().reduce((a, pid) => a + rssMiB(pid), 0),
        );
        cpu.sample();
        await Bun.sleep(Math.max(0, 1000 - (Date.now() - tickStart)));
      }
      cpu.sample();
      const wall = (Date.now() - w0) / 1000;
      const nodeCores = cpu.nodeTicks() / TICK / wall;
      const ffCores = cpu.ffmpegTicks() / TICK / wall;
      console.log(
        `\nN=${n}: node CPU ${(nodeCores + ffCores).toFixed(2)} cores (node process ${nodeCores.toFixed(2)}, ffmpeg ${ffCores.toFixed(2)}), RSS peak ${rssPeak.toFixed(0)} MiB (transcoders ${ffRssPeak.toFixed(0)} MiB), GET /streams p99 ${pct(api, 0.99).toFixed(1)} ms`,
      );
      let allFull = true;
      let allRealtime = true;
      for (const s of streams) {
        const st = await nodeStatus(s.publicId).catch(() => null);
        const a = ages.get(s.publicId) ?? [];
        const sp = speeds.get(s.publicId) ?? [];
        const p95 = pct(a, 0.95);
        const realtime = a.length > 0 && p95 <= SEGMENT_S + 2;
        const q = st?.quality;
        if (!realtime) allRealtime = false;
        if (!realtime || q?.level !== "full") allFull = false;
        console.log(
          `  ${s.publicId} ${q?.level ?? "?"} ${q?.preset ?? "-"} [${q?.rungs.join(",") ?? ""}] speed ${sp.at(-1)?.toFixed(2) ?? "-"} age p50 ${pct(a, 0.5).toFixed(2)} p95 ${p95.toFixed(2)} max ${Math.max(...a).toFixed(2)} s${realtime ? "" : "  BEHIND"}${q?.reason ? `  (${q.reason})` : ""}`,
        );
      }
      results.push({ n, allFull, allRealtime });
    }
  } finally {
    try {
      // Every publisher leaves and every stream is stopped at the same moment; 3 s later no ffmpeg may be left.
      const stopAt = Date.now();
      for (const pub of publishers.values()) pub.kill("SIGKILL");
      const stops = Promise.all(
        streams.map((s) =>
          fetch(`${managerUrl()}/stop_stream/${s.publicId}`, {
            method: "POST",
            headers: { authorization: `Bearer ${s.privateId}` },
          }).catch(() => null),
        ),
      );
      await Bun.sleep(Math.max(0, 3000 - (Date.now() - stopAt)));
      remember();
      clearInterval(watcher);
      const left = [...everSpawned.values()].filter((r) => alive(r) && cmdline(r.pid).startsWith("ffmpeg"));
      console.log(`\nffmpeg processes left 3 s after all streams were stopped: ${left.length}`);
      for (const r of left) console.log(`  ${r.pid} ${cmdline(r.pid).slice(0, 200)}`);
      await stops;
      const full = results.filter((r) => r.allFull).map((r) => r.n);
      const rt = results.filter((r) => r.allRealtime).map((r) => r.n);
      console.log(
        `largest N with every stream on the full ladder in real time: ${full.length ? Math.max(...full) : 0}`,
      );
      console.log(
        `largest N with every stream in real time at any quality: ${rt.length ? Math.max(...rt) : 0}`,
      );
      const metrics = await (await fetch(`${nodeUrl()}/metrics`)).text();
      for (const l of metrics.split("\n"))
        if (/^hearth_media_(degradations_total\{stream="_ended"|transcode_budget|publish_refused)/.test(l))
          console.log(l);
    } finally {
      clearInterval(watcher);
    }
  }
} finally {
  for (const pub of publishers.values()) pub.kill("SIGKILL");
  await node?.stop();
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
