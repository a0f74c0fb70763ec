/**
 * Reading a stored recording or clip from the outside, as a player and a test would: its id from the node's
 * DATA_DIR (the node reports it to the manager; the files are the node's own record), its playlists parsed with
 * hls-parser, and each segment decoded by ffprobe with its init segment in front.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import HLS from "hls-parser";

/** The video id of `publicId`'s recording under `dataDir` (the newest when several), or undefined. */
export function recordingOf(dataDir: string, publicId: string): string | undefined {
  let best: { id: string; at: number } | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(join(dataDir, "recordings"));
  } catch {
    return undefined;
  }
  for (const id of names) {
    try {
      const meta = JSON.parse(readFileSync(join(dataDir, "recordings", id, "meta.json"), "utf8")) as {
        publicId: string;
        createdAt: number;
      };
      if (meta.publicId === publicId && (!best || meta.createdAt > best.at))
        best = { id, at: meta.createdAt };
    } catch {}
  }
  return best?.id;
}

/** Lines of a rung's index file as the node wrote them (whole lines only). */
export function indexLines(
  dataDir: string,
  videoId: string,
  rung: string,
): Array<{ msn: number; pdt: number; dur: number }> {
  let text = "";
  try {
    text = readFileSync(join(dataDir, "recordings", videoId, rung, "index"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .slice(0, -1)
    .map((l) => JSON.parse(l) as { msn: number; pdt: number; dur: number });
}

export async function fetchMaster(url: string): Promise<HLS.types.MasterPlaylist> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const p = HLS.parse(await res.text());
  if (!p.isMasterPlaylist) throw new Error(`${url} is not a master playlist`);
  return p as HLS.types.MasterPlaylist;
}

export async function fetchMedia(url: string): Promise<HLS.types.MediaPlaylist> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const p = HLS.parse(await res.text());
  if (p.isMasterPlaylist) throw new Error(`${url} is not a media playlist`);
  return p as HLS.types.MediaPlaylist;
}

/** Video frames ffprobe decodes from init + segment (0 when it cannot). */
export async function decodedFrames(init: Uint8Array, segment: Uint8Array): Promise<number> {
  const file = join(tmpdir(), `hearth-rec-probe-${process.pid}-${Math.random().toString(36).slice(2)}.mp4`);
  writeFileSync(file, Buffer.concat([init, segment]));
  try {
    const proc = Bun.spawn(
      [
        "ffprobe",
        ...["-v", "error"],
        ...["-select_streams", "v:0"],
        // Decodes every frame (not just the headers): a segment that does not decode counts 0.
        "-count_frames",
        ...["-show_entries", "stream=nb_read_frames"],
        ...["-of", "csv=p=0"],
        file,
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    return proc.exitCode === 0 ? Number.parseInt(out.trim(), 10) || 0 : 0;
  } finally {
    rmSync(file, { force: true });
  }
}

async function bytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Fetches every segment of a variant playlist (at `url`) with its init and decodes it; frames per segment. */
export async function decodeAll(url: string, playlist: HLS.types.MediaPlaylist): Promise<number[]> {
  const base = new URL(".", url);
  const inits = new Map<string, Uint8Array>();
  const frames: number[] = [];
  for (const s of playlist.segments) {
    const mapUri = s.map?.uri;
    if (!mapUri) throw new Error(`segment ${s.uri} has no EXT-X-MAP`);
    let init = inits.get(mapUri);
    if (!init) {
      init = await bytes(new URL(mapUri, base).href);
      inits.set(mapUri, init);
    }
    frames.push(await decodedFrames(init, await bytes(new URL(s.uri, base).href)));
  }
  return frames;
}

/** Seconds of media in a playlist. */
export const playlistSeconds = (p: HLS.types.MediaPlaylist) => p.segments.reduce((t, s) => t + s.duration, 0);
