import { PublicId, StreamList, StreamLookup } from "@hearth/contracts/mini";

/** What the web tier needs from the manager (the consumer's narrow interface). */
export interface ManagerApi {
  /** The directory: live streams first. */
  listStreams(): Promise<StreamList>;
  /** One stream by public id; null when the manager does not know it. */
  lookup(publicId: string): Promise<StreamLookup | null>;
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
  };
}
