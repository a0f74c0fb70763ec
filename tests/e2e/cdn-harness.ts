/**
 * Shared pieces of the CDN e2e suites: the real nginx shield + edge started through infra/cdn.sh (the same
 * script a person runs), and a stand-in HLS origin that counts what reaches it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "./support/ports.ts";
import { alive, cmdline, descendants } from "./support/processes.ts";

export const CDN_SH = join(import.meta.dir, "..", "..", "infra", "cdn.sh");

export interface CdnOptions {
  /** Media nodes in order; the first is the default node. */
  media: Array<{ id: string; port: number }>;
  web?: number[];
  manager?: number[];
  chat?: number[];
  /** nginx workers per tier; 1 makes round-robin across chat nodes predictable. */
  workers?: number | "auto";
  /** The edge's port when a service must know it before the CDN starts (default: a free one). */
  edgePort?: number;
  /** Access logs (default on; benchmarks turn them off). */
  accessLog?: boolean;
}

export interface RunningCdn {
  edge: string;
  shield: string;
  dir: string;
  /** PIDs of the shield and edge nginx masters. */
  nginxPids: number[];
  stop(): Promise<void>;
}

/** Runs `infra/cdn.sh up` into `dir` on the given ports, `args` after them; its stdout and stderr are piped. */
export function spawnCdnUp(dir: string, edgePort: number, shieldPort: number, args: string[]) {
  return Bun.spawn(
    [
      "bash",
      CDN_SH,
      "up",
      "--dir",
      dir,
      "--edge-port",
      String(edgePort),
      "--shield-port",
      String(shieldPort),
      ...args,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
}

/** Starts shield + edge with `infra/cdn.sh up` on free loopback ports; resolves once both answer. */
export async function startCdn(o: CdnOptions): Promise<RunningCdn> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-cdn-"));
  const edgePort = o.edgePort ?? freePort();
  const shieldPort = freePort();
  const list = (ports: number[] | undefined, fallback: number) =>
    (ports?.length ? ports : [fallback]).map((p) => `127.0.0.1:${p}`).join(",");
  // Unused upstreams point at a port nobody listens on: nginx only needs a syntactically valid address.
  const nobody = freePort();
  const proc = spawnCdnUp(dir, edgePort, shieldPort, [
    "--media",
    o.media.map((m) => `${m.id}=127.0.0.1:${m.port}`).join(","),
    "--web",
    list(o.web, nobody),
    "--manager",
    list(o.manager, nobody),
    "--chat",
    list(o.chat, nobody),
    "--workers",
    String(o.workers ?? 2),
    "--access-log",
    o.accessLog === false ? "off" : "on",
  ]);
  const reader = proc.stdout.getReader();
  let out = "";
  const deadline = Date.now() + 20_000;
  while (!out.includes("cdn: ready")) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now()))]);
    if (!chunk || chunk.done) {
      proc.kill("SIGKILL");
      const err = await new Response(proc.stderr).text().catch(() => "");
      throw new Error(`infra/cdn.sh did not become ready: ${out} ${err}`);
    }
    out += new TextDecoder().decode(chunk.value);
  }
  reader.releaseLock();
  const nginxPids = ["shield", "edge"].map((t) => Number(readFileSync(join(dir, `${t}.pid`), "utf8").trim()));
  // If a master ever has to be SIGKILLed, its workers would live on as orphans: remember them now.
  const workerPids = nginxPids.flatMap((pid) => descendants(pid));
  let stopped = false;
  return {
    edge: `http://127.0.0.1:${edgePort}`,
    shield: `http://127.0.0.1:${shieldPort}`,
    dir,
    nginxPids,
    async stop() {
      if (stopped) return;
      stopped = true;
      proc.kill("SIGTERM");
      const done = await Promise.race([proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!done) proc.kill("SIGKILL");
      // Whatever the script could not stop is stopped here, by the PIDs it recorded.
      for (const pid of nginxPids) if (alive(pid)) process.kill(pid, "SIGKILL");
      for (const pid of workerPids)
        if (alive(pid) && cmdline(pid).startsWith("nginx:")) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the stand-in origin saw. */
export interface OriginRequest {
  method: string;
  path: string;
  query: string;
  range: string | null;
  authorization: string | null;
}

/**
 * STAND-IN ORIGIN, not the media app: serves /hls/<publicId>/... from a temp dir with the media origin's headers
 * (playlists max-age=1, segments immutable, 404 no-store) and counts every request that reaches it, which the
 * real media node has no counter for. `delayMs` keeps a response in flight so that concurrent viewers overlap.
 */
export class StandInOrigin {
  readonly dir = mkdtempSync(join(tmpdir(), "hearth-origin-"));
  readonly requests: OriginRequest[] = [];
  delayMs = 0;
  private readonly server: ReturnType<typeof Bun.serve>;

  constructor(readonly name = "origin") {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => this.handle(req),
    });
  }

  get port(): number {
    return this.server.port ?? 0;
  }

  /** Writes a file under the HLS root (relative path like `<publicId>/720p/seg_a_1.ts`). */
  async put(rel: string, body: string | Uint8Array): Promise<void> {
    await mkdir(dirname(join(this.dir, rel)), { recursive: true });
    await Bun.write(join(this.dir, rel), body);
  }

  /** How many requests reached the origin for this path (any query). */
  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    this.requests.push({
      method: req.method,
      path: url.pathname,
      query: url.search,
      range: req.headers.get("range"),
      authorization: req.headers.get("authorization"),
    });
    if (this.delayMs > 0) await Bun.sleep(this.delayMs);
    const cors = { "Access-Control-Allow-Origin": "*", "X-Origin": this.name };
    if (url.pathname.startsWith("/whip/")) return this.whip(req, url, cors);
    const rel = url.pathname.replace(/^\/hls\//, "");
    const file = Bun.file(join(this.dir, rel));
    if (!url.pathname.startsWith("/hls/") || rel.includes("..") || !(await file.exists())) {
      return Response.json(
        { error: { code: "not_found", message: "no such HLS resource" } },
        { status: 404, headers: { ...cors, "Cache-Control": "no-store" } },
      );
    }
    const playlist = rel.endsWith(".m3u8");
    return new Response(await file.arrayBuffer(), {
      headers: {
        ...cors,
        "Content-Type": playlist ? "application/vnd.apple.mpegurl" : "video/mp2t",
        "Cache-Control": playlist ? "public, max-age=1" : "public, max-age=31536000, immutable",
      },
    });
  }

  /** A WHIP endpoint's shape: 401 without a bearer token, 201 + Location on an offer, 204 on DELETE. */
  private whip(req: Request, url: URL, cors: Record<string, string>): Response {
    if (!req.headers.get("authorization"))
      return new Response("token required", { status: 401, headers: cors });
    if (req.method === "POST")
      return new Response("v=0\r\n", {
        status: 201,
        headers: { ...cors, "Content-Type": "application/sdp", Location: `${url.pathname}/session-1` },
      });
    return new Response(null, { status: 204, headers: cors });
  }

  async stop(): Promise<void> {
    await this.server.stop(true);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fires `n` GETs at once and returns every response with its body read. */
export async function burst(
  url: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<Array<{ status: number; headers: Headers; body: Uint8Array }>> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(20_000) });
      return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
    }),
  );
}

/** A unique public id for a test (ids look like the manager's). */
export function publicId(): string {
  return `t${crypto.randomUUID().replaceAll("-", "").slice(0, 15)}`;
}
