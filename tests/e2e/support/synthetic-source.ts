/** What a synthetic test source looks like; the defaults are a 720p30 OBS-like publisher with a 1 s GOP. */
export interface SyntheticSource {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in seconds. */
  gopSeconds?: number;
  videoKbps?: number;
  audioKbps?: number;
  /** Cap the rate as a CBR-ish encoder would (maxrate = bitrate, 2 s buffer). */
  capped?: boolean;
  /** Temporal noise makes frames expensive to encode and decode, like camera footage. */
  noise?: boolean;
  preset?: string;
  /** Send at real time (-re), as a live publisher does; off when writing a file for later. */
  realtime?: boolean;
}

/** Only errors from ffmpeg: its banner and progress lines would bury a test's own output. */
export const FFMPEG_QUIET: readonly string[] = ["-hide_banner", "-loglevel", "error"];

/** testsrc2 (a moving pattern with a frame counter) as an ffmpeg input; `realtime` reads it at its rate (-re). */
export function testPatternInput(width: number, height: number, fps: number, realtime = true): string[] {
  return [...(realtime ? ["-re"] : []), "-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}`];
}

/** A 440 Hz tone as an ffmpeg input; `realtime` reads it at real time (-re) as well. */
export function toneInput(realtime: boolean): string[] {
  return [...(realtime ? ["-re"] : []), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"];
}

/** libx264 at `preset`; ultrafast adds zerolatency (no B-frames or lookahead) like OBS's low-latency profile. */
export function x264Args(preset = "ultrafast"): string[] {
  return ["-c:v", "libx264", "-preset", preset, ...(preset === "ultrafast" ? ["-tune", "zerolatency"] : [])];
}

/** ffmpeg input + encoder arguments (no binary, no output) for testsrc2 video and a sine tone as H.264/AAC. */
export function syntheticSourceArgs(o: SyntheticSource): string[] {
  const {
    width = 1280,
    height = 720,
    fps = 30,
    gopSeconds = 1,
    videoKbps = 3000,
    audioKbps = 128,
    preset = "ultrafast",
  } = o;
  return [
    ...FFMPEG_QUIET,
    ...testPatternInput(width, height, fps, o.realtime !== false),
    ...toneInput(false),
    ...["-t", String(o.seconds)],
    ...(o.noise ? ["-vf", "noise=alls=12:allf=t"] : []),
    ...x264Args(preset),
    ...["-g", String(Math.round(fps * gopSeconds)), "-b:v", `${videoKbps}k`],
    ...(o.capped ? ["-maxrate", `${videoKbps}k`, "-bufsize", `${videoKbps * 2}k`] : []),
    ...["-c:a", "aac", "-b:a", `${audioKbps}k`],
  ];
}

/** Publishes a synthetic source to an RTMP URL, as OBS would. */
export function publishSynthetic<E extends "pipe" | "inherit" | "ignore">(
  url: string,
  o: SyntheticSource,
  stderr: E,
): Bun.Subprocess<"ignore", "ignore", E> {
  return Bun.spawn(["ffmpeg", ...syntheticSourceArgs(o), "-f", "flv", url], {
    stdin: "ignore",
    stdout: "ignore",
    stderr,
  });
}
