/**
 * compose.yaml: the Compose CLI must accept it (`docker compose config`; the engine cannot run here), and the
 * deployment it describes must hang together: every service healthy-checked, the shield's node list matching
 * the media nodes' public URLs, and only the edge and RTMP published.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

interface Service {
  build?: { target?: string };
  image?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: Array<string | { published: string | number; target: number }>;
  volumes?: unknown[];
  depends_on?: Record<string, { condition: string }>;
}

/** The Compose CLI found here: the docker plugin (v2) or the standalone docker-compose (v1). */
function composeCli(): string[] {
  const plugin = Bun.spawnSync(["docker", "compose", "version"], { stdout: "ignore", stderr: "ignore" });
  if (plugin.exitCode === 0) return ["docker", "compose"];
  if (Bun.which("docker-compose")) return ["docker-compose"];
  throw new Error("no Compose CLI: install docker-compose (scripts/setup.sh --test does)");
}

function config(env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([...composeCli(), "-f", join(ROOT, "compose.yaml"), "config"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
  });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("compose.yaml", () => {
  test("passes `compose config`, and resolves the public URL into every public address", () => {
    const r = config({ PUBLIC_URL: "https://live.example.com", INTERNAL_TOKEN: "x".repeat(24) });
    expect(r.err).not.toContain("invalid");
    expect(r.code).toBe(0);
    const doc = Bun.YAML.parse(r.out) as {
      services: Record<string, Service>;
      volumes: Record<string, unknown>;
    };
    const s = doc.services;
    expect(Object.keys(s).sort()).toEqual(
      [
        "chat-1",
        "chat-2",
        "edge",
        "manager",
        "media-1",
        "media-2",
        "postgres",
        "redis",
        "shield",
        "web",
      ].sort(),
    );
    for (const [name, svc] of Object.entries(s))
      expect({ name, hc: Boolean(svc.healthcheck) }).toEqual({ name, hc: true });
    expect(Object.keys(doc.volumes).sort()).toEqual([
      "edge-cache",
      "media-1-data",
      "media-2-data",
      "pgdata",
      "shield-cache",
    ]);

    // The shield routes /hls/<id>/ to exactly the nodes whose public HLS base ends in /hls/<id>.
    const nodes = (s.shield?.environment?.CDN_MEDIA ?? "").split(",").map((e) => e.split("="));
    expect(nodes.map(([id]) => id)).toEqual(["media-1", "media-2"]);
    for (const [id, addr] of nodes) {
      const env = s[id ?? ""]?.environment ?? {};
      expect(env.MEDIA_NODE_ID).toBe(id);
      expect(env.PUBLIC_HLS_BASE).toBe(`https://live.example.com/hls/${id}`);
      expect(env.PUBLIC_WHIP_BASE).toBe(`https://live.example.com/whip/${id}`);
      expect(addr).toBe(`${id}:${env.MEDIA_HTTP_PORT}`);
      expect(s[id ?? ""]?.build?.target).toBe("media");
    }
    expect(s.web?.environment?.MANAGER_URL).toBe("https://live.example.com/api");
    expect(s.edge?.environment?.CDN_CHAT).toBe("chat-1:8082,chat-2:8082");
    expect(s["chat-1"]?.environment?.REDIS_URL).toBe(s["chat-2"]?.environment?.REDIS_URL);
    expect(s.edge?.depends_on?.shield?.condition).toBe("service_healthy");

    // Only the edge (HTTP) and the media nodes (RTMP) face the outside.
    const published = Object.entries(s)
      .filter(([, svc]) => (svc.ports ?? []).length > 0)
      .map(([name]) => name)
      .sort();
    expect(published).toEqual(["edge", "media-1", "media-2"]);
  });

  test("secrets are never defaulted: unset, they stay empty so the apps refuse to start", () => {
    const r = config();
    expect(r.code).toBe(0);
    const doc = Bun.YAML.parse(r.out) as { services: Record<string, Service> };
    expect(doc.services.manager?.environment?.INTERNAL_TOKEN ?? "").toBe("");
    expect(doc.services.postgres?.environment?.POSTGRES_PASSWORD ?? "").toBe("");
  });

  test("every app target exists in the Dockerfile, on oven/bun (Debian) and Debian's ffmpeg and nginx", async () => {
    const dockerfile = await Bun.file(join(ROOT, "Dockerfile")).text();
    const targets = [...dockerfile.matchAll(/^FROM\s+(\S+)\s+AS\s+(\S+)/gm)].map((m) => [m[2], m[1]]);
    const byTarget = Object.fromEntries(targets);
    for (const t of ["manager", "media", "chat", "web", "cdn"]) expect(Object.keys(byTarget)).toContain(t);
    expect(byTarget.media).toMatch(/^oven\/bun:.*-debian$/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*ffmpeg/);
    expect(byTarget.cdn).toMatch(/^debian:/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*nginx/);
  });
});
