import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartedStream } from "@hearth/contracts";
import postgres from "postgres";
import { freePort, waitFor } from "./support/ports.ts";
import { alive, cmdline, descendants } from "./support/processes.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";

const ROOT = join(import.meta.dir, "..", "..");
const dataDir = mkdtempSync(join(tmpdir(), "hearth-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Polls until `check` is true, or fails after `ms`. */
async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(200);
  }
  throw new Error(`condition not met within ${ms} ms`);
}

const PG = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe.each(["embedded", "postgres"] as const)("scripts/start.sh, %s", (mode) => {
  let dbUrl: string | undefined;
  beforeAll(async () => {
    if (mode !== "postgres") return;
    // A database of its own: with DATABASE_URL every app runs as a process and migrates it at start.
    const name = `hearth_start_${randomBytes(4).toString("hex")}`;
    const admin = postgres(PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(PG);
    url.pathname = `/${name}`;
    dbUrl = url.toString();
  });
  afterAll(async () => {
    if (!dbUrl) return;
    const admin = postgres(PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${new URL(dbUrl).pathname.slice(1)} with (force)`);
    await admin.end();
  });

  test("the README's start command runs the platform, serves the API and stops every child on SIGTERM", async () => {
    const ports = {
      WEB_PORT: freePort(),
      MANAGER_PORT: freePort(),
      CHAT_PORT: freePort(),
      MEDIA_HTTP_PORT: freePort(),
      RTMP_PORT: freePort(),
    };
    const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    if (dbUrl) env.DATABASE_URL = dbUrl;
    for (const [k, v] of Object.entries(ports)) env[k] = String(v);
    const proc = Bun.spawn(["bash", join(ROOT, "scripts", "start.sh")], {
      cwd: ROOT,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    let output = "";
    let publisher: Bun.Subprocess | undefined;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) output += new TextDecoder().decode(chunk);
    };
    void collect(proc.stdout);
    void collect(proc.stderr);
    try {
      await waitFor(`http://127.0.0.1:${ports.MANAGER_PORT}/readyz`, 60_000);
      const deadline = Date.now() + 30_000;
      while (!output.includes("hearth: ready") && Date.now() < deadline) await Bun.sleep(100);
      expect(output).toContain("hearth: ready");
      expect(output).toContain(`http://localhost:${ports.MANAGER_PORT}`);

      const res = await fetch(
        `http://127.0.0.1:${ports.MANAGER_PORT}/start_stream?name=from%20the%20launcher`,
        {
          method: "POST",
        },
      );
      expect(res.status).toBe(201);
      const stream = StartedStream.parse(await res.json());
      const list = await (await fetch(`http://127.0.0.1:${ports.MANAGER_PORT}/streams`)).text();
      expect(list).toContain(stream.publicId);
      // Go live over RTMP so the media node has an ffmpeg running when the platform is told to stop.
      publisher = publishSynthetic(
        `${stream.rtmp.server}/${stream.rtmp.streamKey}`,
        { seconds: 60 },
        "ignore",
      );
      await until(async () => {
        const s = await (
          await fetch(`http://127.0.0.1:${ports.MANAGER_PORT}/stream/${stream.publicId}`)
        ).json();
        return (s as { live: boolean }).live;
      }, 45_000);
      // The key is shown to its owner once, and never logged.
      expect(output).not.toContain(stream.privateId);

      const children = descendants(proc.pid);
      const commands = children.map(cmdline);
      expect(commands.some((c) => c.startsWith("ffmpeg"))).toBe(true);
      // With DATABASE_URL each app is its own process.
      if (mode === "postgres") expect(commands.filter((c) => c.includes("/src/main.ts")).length).toBe(4);
      proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => "timeout")]);
      expect(code).toBe(0);
      const left = children.filter(alive);
      expect(left.map((p) => `${p} ${cmdline(p)}`)).toEqual([]);
    } finally {
      publisher?.kill("SIGKILL");
      if (alive(proc.pid)) proc.kill("SIGKILL");
    }
  }, 120_000);
});
