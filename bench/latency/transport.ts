/**
 * How ffmpeg's CMAF should reach the packager: an extra pipe fd (Bun.spawn stdio[3]), stdout, or a unix
 * socket. For each, a 10 s -re run of one 320x180 rung; per fragment, arrival time minus the fragment's
 * media end time (offset by the smallest value, so only the extra delay and jitter remain); and the
 * reader's CPU time. Run: bun bench/latency/transport.ts
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CmafBoxReader } from "../../apps/media/src/llhls/box-reader.ts";
import { cmafOutputArgs, cmafTiming } from "../../apps/media/src/llhls/cmaf-args.ts";
import { percentile } from "../../tests/e2e/support/stats.ts";
import { FFMPEG_QUIET, testPatternInput, x264Args } from "../../tests/e2e/support/synthetic-source.ts";

type Mode = "extra-fd" | "stdout" | "unix-socket";
const SECONDS = 10;

function ffmpegArgs(dest: string): string[] {
  return [
    ...FFMPEG_QUIET,
    ...testPatternInput(320, 180, 30),
    ...["-t", String(SECONDS)],
    ...x264Args("ultrafast"),
    ...["-force_key_frames", "expr:gte(t,n_forced*1)"],
    ...cmafOutputArgs({ fd: 3, timing: cmafTiming(0.2, 30) }).slice(0, -1),
    dest,
  ];
}

async function run(mode: Mode): Promise<{ lags: number[]; cpuMs: number; bytes: number }> {
  const arrivals: { at: number; end: number }[] = [];
  let bytes = 0;
  const reader = new CmafBoxReader({
    onInit() {},
    onFragment: (f) =>
      arrivals.push({ at: performance.now(), end: ((f.decodeTime + f.duration) / f.timescale) * 1000 }),
  });
  const onChunk = (c: Uint8Array) => {
    bytes += c.length;
    reader.push(c);
  };
  const cpu0 = process.cpuUsage();
  if (mode === "unix-socket") {
    const path = join(tmpdir(), `hearth-cmaf-${process.pid}.sock`);
    rmSync(path, { force: true });
    let closed: () => void = () => {};
    const done = new Promise<void>((r) => {
      closed = r;
    });
    const server = Bun.listen({ unix: path, socket: { data: (_s, c) => onChunk(c), close: () => closed() } });
    const p = Bun.spawn(["ffmpeg", ...ffmpegArgs(`unix:${path}`)], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    await p.exited;
    await Promise.race([done, Bun.sleep(2000)]);
    server.stop(true);
    rmSync(path, { force: true });
  } else if (mode === "stdout") {
    const p = Bun.spawn(["ffmpeg", ...ffmpegArgs("pipe:1")], { stdio: ["ignore", "pipe", "inherit"] });
    for await (const c of p.stdout) onChunk(c);
    await p.exited;
  } else {
    const p = Bun.spawn(["ffmpeg", ...ffmpegArgs("pipe:3")], {
      stdio: ["ignore", "ignore", "inherit", "pipe"],
    });
    const fd = p.stdio[3];
    if (typeof fd !== "number") throw new Error("no extra fd");
    for await (const c of Bun.file(fd).stream()) onChunk(c);
    await p.exited;
  }
  const cpu = process.cpuUsage(cpu0);
  const raw = arrivals.map((a) => a.at - a.end);
  const min = Math.min(...raw);
  return { lags: raw.map((l) => l - min), cpuMs: (cpu.user + cpu.system) / 1000, bytes };
}

console.log(
  `transport: ${SECONDS} s of -re 320x180@30 CMAF, 0.2 s fragments; 2 shared cores, other suites may be running`,
);
for (const mode of ["extra-fd", "stdout", "unix-socket"] as Mode[]) {
  const r = await run(mode);
  console.log(
    `${mode.padEnd(12)} fragments=${r.lags.length} extra-delay p50=${percentile(r.lags, 50).toFixed(1)} ms p95=${percentile(r.lags, 95).toFixed(1)} ms max=${Math.max(...r.lags).toFixed(1)} ms reader-cpu=${r.cpuMs.toFixed(0)} ms for ${(r.bytes / 1024).toFixed(0)} KiB`,
  );
}
