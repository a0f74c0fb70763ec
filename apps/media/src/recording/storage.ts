/**
 * Where recordings and clips live. The interface is what the recorder, the routes, recovery and the clip cutter
 * need; the filesystem implementation below is the one this node runs. Layout under DATA_DIR:
 *
 *   recordings/<videoId>/meta.json            RecordingMeta (rewritten whole: temp file + rename)
 *   recordings/<videoId>/<rung>/init-<n>.mp4  init segment of input n (EXT-X-MAP)
 *   recordings/<videoId>/<rung>/seg-<msn>.m4s one closed media segment, as the packager cut it
 *   recordings/<videoId>/<rung>/index         append-only, one JSON line per segment (IndexEntry), written
 *                                             after the segment's file, so every whole line names a whole file
 *   recordings/<videoId>/thumb.jpg            preview
 *   clips/<clipId>/...                        the same shape (a copy of the recording's segments)
 *
 * Not under HLS_DIR: the node removes that directory's leftovers at start.
 */
import {
  appendFile,
  copyFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";

/** recordings (videos) or clips: the two kinds of stored playlists. */
export type Collection = "recordings" | "clips";

/** One line of a rung's index: a segment on disk. */
export interface IndexEntry {
  msn: number;
  /** The init segment (input number) the segment needs. */
  initSeq: number;
  /** Program date-time of the first frame, ms since 1970. */
  pdt: number;
  /** Seconds. */
  duration: number;
  /** The first segment after a joint (a reconnect or a restarted ffmpeg). */
  discontinuity: boolean;
  /** Starts with a keyframe. */
  independent: boolean;
  bytes: number;
}

/** A rung as the master playlist lists it (from the init segment and the fragments the packager parsed). */
export interface StoredRung {
  name: string;
  width: number;
  height: number;
  frameRate?: number;
  codecs: string[];
}

/** meta.json: what a recording (or clip) is. */
export interface RecordingMeta {
  id: string;
  publicId: string;
  node: string;
  session: string;
  /** `recording` until finalised (by its recorder at the session's end, or by recovery at the next start). */
  state: "recording" | "ready";
  /** ms since 1970. */
  createdAt: number;
  endedAt: number | null;
  rungs: StoredRung[];
  /** A clip's recording. */
  videoId?: string;
}

/** A media file of a rung. */
export type MediaRef = { kind: "init"; seq: number } | { kind: "segment"; msn: number };

export interface RecordingStorage {
  readMeta(c: Collection, id: string): Promise<RecordingMeta | null>;
  writeMeta(c: Collection, id: string, meta: RecordingMeta): Promise<void>;
  writeMedia(c: Collection, id: string, rung: string, ref: MediaRef, bytes: Uint8Array): Promise<void>;
  /** The file's bytes as a Blob (a file-backed one here), or null when absent. */
  openMedia(c: Collection, id: string, rung: string, ref: MediaRef): Promise<Blob | null>;
  /** Copies a media file from one stored item to another (a clip's segments). */
  copyMedia(
    from: Collection,
    fromId: string,
    to: Collection,
    toId: string,
    rung: string,
    ref: MediaRef,
  ): Promise<void>;
  appendIndex(c: Collection, id: string, rung: string, entry: IndexEntry): Promise<void>;
  /** The rung's index; a torn last line (a write cut by a crash) is left out. */
  readIndex(c: Collection, id: string, rung: string): Promise<IndexEntry[]>;
  /** Rewrites the index whole (recovery drops what is not on disk). */
  replaceIndex(c: Collection, id: string, rung: string, entries: IndexEntry[]): Promise<void>;
  writeThumbnail(c: Collection, id: string, jpeg: Uint8Array): Promise<void>;
  openThumbnail(c: Collection, id: string): Promise<Blob | null>;
  /** Ids present (with a meta.json or not). */
  list(c: Collection): Promise<string[]>;
  /** Bytes on disk. */
  size(c: Collection, id: string): Promise<number>;
  /** Files gone; nothing to remove is fine. */
  remove(c: Collection, id: string): Promise<void>;
}

const ID = /^[a-z0-9]{8,32}$/;
const RUNG = /^[a-z0-9_-]{1,16}$/;

/** File name of a media file inside a rung's directory (the same names the routes serve). */
export function mediaName(ref: MediaRef): string {
  return ref.kind === "init" ? `init-${ref.seq}.mp4` : `seg-${ref.msn}.m4s`;
}

/** Parses a served file name back; null for anything else. */
export function parseMediaName(name: string): MediaRef | null {
  const m = /^(?:init-(\d{1,9})\.mp4|seg-(\d{1,15})\.m4s)$/.exec(name);
  if (!m) return null;
  return m[1] !== undefined ? { kind: "init", seq: Number(m[1]) } : { kind: "segment", msn: Number(m[2]) };
}

/** One index line (with its newline). */
export function formatIndexLine(e: IndexEntry): string {
  return `${JSON.stringify({ msn: e.msn, init: e.initSeq, pdt: e.pdt, dur: e.duration, disc: e.discontinuity, ind: e.independent, bytes: e.bytes })}\n`;
}

/** Parses an index file; a line that is torn (no newline yet, or not whole JSON) ends the usable part. */
export function parseIndex(text: string): IndexEntry[] {
  const lines = text.split("\n");
  // Whatever follows the last newline was never finished.
  lines.pop();
  const out: IndexEntry[] = [];
  for (const line of lines) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      break;
    }
    const n = (k: string) => (typeof o[k] === "number" && Number.isFinite(o[k]) ? (o[k] as number) : null);
    const msn = n("msn");
    const initSeq = n("init");
    const pdt = n("pdt");
    const duration = n("dur");
    const bytes = n("bytes");
    if (msn === null || initSeq === null || pdt === null || duration === null || bytes === null) break;
    out.push({
      msn,
      initSeq,
      pdt,
      duration,
      bytes,
      discontinuity: o.disc === true,
      independent: o.ind === true,
    });
  }
  return out;
}

/** The filesystem storage under `root` (DATA_DIR). */
export class FsRecordingStorage implements RecordingStorage {
  constructor(readonly root: string) {}

  /** The item's directory; refuses ids and rung names that are not ours (no traversal). */
  dir(c: Collection, id: string, rung?: string): string {
    if (!ID.test(id)) throw new Error(`bad ${c} id`);
    if (rung !== undefined && !RUNG.test(rung)) throw new Error("bad rung name");
    return rung === undefined ? join(this.root, c, id) : join(this.root, c, id, rung);
  }

  async readMeta(c: Collection, id: string): Promise<RecordingMeta | null> {
    try {
      return JSON.parse(await readFile(join(this.dir(c, id), "meta.json"), "utf8")) as RecordingMeta;
    } catch {
      return null;
    }
  }

  async writeMeta(c: Collection, id: string, meta: RecordingMeta): Promise<void> {
    const dir = this.dir(c, id);
    await mkdir(dir, { recursive: true });
    // Whole or not at all: a crash mid-write leaves the previous meta.json.
    await writeFile(join(dir, "meta.tmp.json"), JSON.stringify(meta));
    await rename(join(dir, "meta.tmp.json"), join(dir, "meta.json"));
  }

  async writeMedia(c: Collection, id: string, rung: string, ref: MediaRef, bytes: Uint8Array): Promise<void> {
    const dir = this.dir(c, id, rung);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, mediaName(ref)), bytes);
  }

  async openMedia(c: Collection, id: string, rung: string, ref: MediaRef): Promise<Blob | null> {
    const file = Bun.file(join(this.dir(c, id, rung), mediaName(ref)));
    return (await file.exists()) ? file : null;
  }

  async copyMedia(
    from: Collection,
    fromId: string,
    to: Collection,
    toId: string,
    rung: string,
    ref: MediaRef,
  ): Promise<void> {
    const dir = this.dir(to, toId, rung);
    await mkdir(dir, { recursive: true });
    await copyFile(join(this.dir(from, fromId, rung), mediaName(ref)), join(dir, mediaName(ref)));
  }

  async appendIndex(c: Collection, id: string, rung: string, entry: IndexEntry): Promise<void> {
    const dir = this.dir(c, id, rung);
    await mkdir(dir, { recursive: true });
    await appendFile(join(dir, "index"), formatIndexLine(entry));
  }

  async readIndex(c: Collection, id: string, rung: string): Promise<IndexEntry[]> {
    const text = await readFile(join(this.dir(c, id, rung), "index"), "utf8").catch(() => "");
    return parseIndex(text);
  }

  async replaceIndex(c: Collection, id: string, rung: string, entries: IndexEntry[]): Promise<void> {
    const dir = this.dir(c, id, rung);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "index.tmp"), entries.map(formatIndexLine).join(""));
    await rename(join(dir, "index.tmp"), join(dir, "index"));
  }

  async writeThumbnail(c: Collection, id: string, jpeg: Uint8Array): Promise<void> {
    const dir = this.dir(c, id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "thumb.tmp.jpg"), jpeg);
    await rename(join(dir, "thumb.tmp.jpg"), join(dir, "thumb.jpg"));
  }

  async openThumbnail(c: Collection, id: string): Promise<Blob | null> {
    const file = Bun.file(join(this.dir(c, id), "thumb.jpg"));
    return (await file.exists()) ? file : null;
  }

  async list(c: Collection): Promise<string[]> {
    const names = await readdir(join(this.root, c)).catch(() => [] as string[]);
    return names.filter((n) => ID.test(n));
  }

  async size(c: Collection, id: string): Promise<number> {
    return du(this.dir(c, id));
  }

  async remove(c: Collection, id: string): Promise<void> {
    await rm(this.dir(c, id), { recursive: true, force: true });
  }
}

async function du(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const n of await readdir(path).catch(() => [] as string[])) total += await du(join(path, n));
  return total;
}
