import { stat } from "node:fs/promises";
import { join } from "node:path";
import { aacCodec, avcCodecFromTs, parseVariantPlaylist } from "./master-playlist.ts";

/** What ffprobe says about a rung's real output. */
export interface RungFormat {
  width: number;
  height: number;
  frameRate: number;
  codecs: string[];
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
}

function rate(r: string | undefined): number {
  const [n, d] = (r ?? "0/1").split("/").map(Number);
  return n && d ? n / d : 0;
}

/** ffprobe's streams of a file, or of bytes given on stdin; null when ffprobe cannot read them. */
async function probeStreams(ffprobePath: string, input: string | Uint8Array): Promise<ProbeStream[] | null> {
  const fromFile = typeof input === "string";
  const proc = Bun.spawn(
    [ffprobePath, "-v", "error", "-show_entries", "stream", "-of", "json", fromFile ? input : "pipe:0"],
    {
      stdout: "pipe",
      stderr: "ignore",
      stdin: fromFile ? "ignore" : new Blob([input as Uint8Array<ArrayBuffer>]),
    },
  );
  const killer = setTimeout(() => proc.kill("SIGKILL"), 5000);
  const text = await new Response(proc.stdout).text();
  clearTimeout(killer);
  if ((await proc.exited) !== 0) return null;
  return (JSON.parse(text) as { streams?: ProbeStream[] }).streams ?? [];
}

/**
 * Probes fMP4 bytes (init segment + one media segment) for resolution and frame rate; the CODECS come
 * from the init segment's avcC/esds (`codecs`), which are exact.
 */
export async function probeFmp4(
  ffprobePath: string,
  bytes: Uint8Array,
  codecs: string[],
): Promise<RungFormat | null> {
  const streams = await probeStreams(ffprobePath, bytes);
  const video = streams?.find((s) => s.codec_type === "video");
  if (!video?.width || !video.height || codecs.length === 0) return null;
  const fps = rate(video.avg_frame_rate) || rate(video.r_frame_rate);
  return { width: video.width, height: video.height, frameRate: fps, codecs };
}

/** Probes one segment with ffprobe: resolution, frame rate and RFC 6381 codec strings. */
export async function probeSegment(ffprobePath: string, path: string): Promise<RungFormat | null> {
  const streams = await probeStreams(ffprobePath, path);
  const video = streams?.find((s) => s.codec_type === "video");
  if (!streams || !video?.width || !video.height) return null;
  const avc = avcCodecFromTs(new Uint8Array(await Bun.file(path).arrayBuffer()));
  if (!avc) return null;
  const audio = streams.find((s) => s.codec_type === "audio");
  const codecs = [avc];
  if (audio)
    codecs.push(audio.codec_name === "aac" ? aacCodec(audio.profile) : (audio.codec_name ?? "unknown"));
  const fps = rate(video.avg_frame_rate) || rate(video.r_frame_rate);
  return { width: video.width, height: video.height, frameRate: fps, codecs };
}

/** Running bitrate figures for one rung, kept across segment deletion. */
export class RungMeter {
  private seen = new Set<string>();
  private bits = 0;
  private seconds = 0;
  peak = 0;
  /** The first segment listed (for probing); null until one exists. */
  firstSegment: string | null = null;
  lastSequence = -1;
  /** The newest complete segment listed (for the preview image). */
  lastSegment: string | null = null;

  constructor(private readonly dir: string) {}

  /** Reads the variant playlist and the sizes of segments not measured yet. */
  async update(): Promise<void> {
    const file = Bun.file(join(this.dir, "index.m3u8"));
    if (!(await file.exists())) return;
    const { segments } = parseVariantPlaylist(await file.text());
    const last = segments.at(-1);
    if (last) this.lastSegment = join(this.dir, last.uri);
    for (const seg of segments) {
      this.lastSequence = Math.max(this.lastSequence, seg.sequence);
      if (this.seen.has(seg.uri)) continue;
      const size = await stat(join(this.dir, seg.uri)).then(
        (s) => s.size,
        () => null,
      );
      if (size === null) continue;
      this.seen.add(seg.uri);
      this.firstSegment ??= join(this.dir, seg.uri);
      // Ignore the runt a restart or the end leaves behind: its bitrate says nothing about the rung.
      if (seg.duration < 0.5) continue;
      const bps = (size * 8) / seg.duration;
      this.peak = Math.max(this.peak, bps);
      this.bits += size * 8;
      this.seconds += seg.duration;
    }
  }

  average(): number {
    return this.seconds > 0 ? this.bits / this.seconds : 0;
  }

  segments(): number {
    return this.seen.size;
  }
}
