import { Clip, PublicId, StreamList, StreamLookup, Video, VideoList } from "@hearth/contracts/mini";

/** Ids of videos and clips: checked before they reach a URL (recordings.ts VideoId / ClipId). */
const RECORDING_ID = /^[a-z0-9]{8,32}$/;

/** What the web tier needs from the manager (the consumer's narrow interface). */
export interface ManagerApi {
  /** The directory: live streams first. */
  listStreams(): Promise<StreamList>;
  /** One stream by public id; null when the manager does not know it. */
  lookup(publicId: string): Promise<StreamLookup | null>;
  /** Videos (past broadcasts), newest first: one stream's, or every stream's ready ones without `stream`. */
  listVideos(query: { stream?: string; limit?: number; cursor?: string }): Promise<VideoList>;
  /** One video; null when the manager does not know it (or was deleted). */
  video(videoId: string): Promise<Video | null>;
  /** One clip; null when the manager does not know it. */
  clip(clipId: string): Promise<Clip | null>;
}

/** The manager could not be reached or answered something unexpected. */
export class ManagerUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ManagerUnavailable";
  }
}

export interface HttpManagerApiOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Any fetch-compatible function (web-standard: runs at the edge too). */
  fetch?: (input: Request) => Promise<Response>;
}

/** A ManagerApi over the manager's public HTTP API, bodies parsed with the shared contracts. */
export function httpManagerApi(options: HttpManagerApiOptions): ManagerApi {
  const doFetch = options.fetch ?? ((r: Request) => fetch(r));
  async function get(path: string): Promise<Response> {
    // Concatenated, not resolved: a base with a path (".../api" behind an edge) must keep it.
    const req = new Request(`${options.baseUrl.replace(/\/+$/, "")}${path}`, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    try {
      return await doFetch(req);
    } catch (err) {
      throw new ManagerUnavailable(`manager unreachable: ${(err as Error).message}`, { cause: err });
    }
  }
  async function parse<T>(res: Response, schema: { parse(v: unknown): T }): Promise<T> {
    if (!res.ok) throw new ManagerUnavailable(`manager answered ${res.status}`);
    try {
      return schema.parse(await res.json());
    } catch (err) {
      throw new ManagerUnavailable("manager sent a body that does not match the contract", { cause: err });
    }
  }
  return {
    async listStreams() {
      return parse(await get("/streams"), StreamList);
    },
    async lookup(publicId) {
      if (!PublicId.safeParse(publicId).success) return null;
      const res = await get(`/stream/${encodeURIComponent(publicId)}`);
      if (res.status === 404) return null;
      return parse(res, StreamLookup);
    },
    async listVideos(query) {
      const q = new URLSearchParams();
      if (query.stream !== undefined) q.set("stream", query.stream);
      if (query.limit !== undefined) q.set("limit", String(query.limit));
      if (query.cursor !== undefined) q.set("cursor", query.cursor);
      const qs = q.toString();
      return parse(await get(`/videos${qs ? `?${qs}` : ""}`), VideoList);
    },
    async video(videoId) {
      if (!RECORDING_ID.test(videoId)) return null;
      const res = await get(`/video/${videoId}`);
      if (res.status === 404) return null;
      return parse(res, Video);
    },
    async clip(clipId) {
      if (!RECORDING_ID.test(clipId)) return null;
      const res = await get(`/clip/${clipId}`);
      if (res.status === 404) return null;
      return parse(res, Clip);
    },
  };
}
