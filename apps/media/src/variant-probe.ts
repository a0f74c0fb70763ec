/** What ffprobe says about a rung's real output. */
export interface RungFormat {
  width: number;
  height: number;
  frameRate: number;
  codecs: string[];
}

interface ProbeStream {
  codec_type?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
}

function rate(r: string | undefined): number {
  const [n, d] = (r ?? "0/1").split("/").map(Number);
  return n && d ? n / d : 0;
}

/** ffprobe's streams of bytes given on stdin; null when ffprobe cannot read them. */
async function probeStreams(ffprobePath: string, input: Uint8Array): Promise<ProbeStream[] | null> {
  const proc = Bun.spawn([ffprobePath, "-v", "error", "-show_entries", "stream", "-of", "json", "pipe:0"], {
    stdout: "pipe",
    stderr: "ignore",
    stdin: new Blob([input as Uint8Array<ArrayBuffer>]),
  });
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
