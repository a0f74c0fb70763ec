/** Decoding a CMAF segment the way a player would: its init segment + the segment, through ffprobe. */

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  height?: number;
  /** Frames ffprobe decoded (`-count_frames`). */
  nb_read_frames?: string;
}

/** Fetches `initUrl` + `segmentUrl` and decodes every frame with ffprobe; throws on any error it reports. */
export async function probeSegment(initUrl: string, segmentUrl: string): Promise<ProbedStream[]> {
  const get = async (url: string) => {
    const res = await fetch(url);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const body = new Blob([await get(initUrl), await get(segmentUrl)]);
  const probe = Bun.spawn(
    [
      "ffprobe",
      ...["-v", "error"],
      // Decodes every frame (not just the headers): a segment that only parses would pass without it.
      "-count_frames",
      ...["-show_entries", "stream=codec_type,codec_name,height,nb_read_frames"],
      ...["-of", "json"],
      "pipe:0",
    ],
    { stdin: body, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(probe.stdout).text(),
    new Response(probe.stderr).text(),
    probe.exited,
  ]);
  if (code !== 0 || err.trim() !== "") throw new Error(`ffprobe on ${segmentUrl}: exit ${code}\n${err}`);
  return (JSON.parse(out) as { streams: ProbedStream[] }).streams;
}
