/** infra/cdn.sh as a process owner: it stops what it starts, and refuses input that would become nginx syntax. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CDN_SH, spawnCdnUp, startCdn } from "./cdn-harness.ts";
import { freePort } from "./support/ports.ts";
import { alive, descendants } from "./support/processes.ts";
import { until } from "./support/until.ts";

describe("infra/cdn.sh", () => {
  test("SIGTERM stops both nginx masters and their workers", async () => {
    const cdn = await startCdn({ media: [{ id: "media-1", port: freePort() }] });
    const [shield, edge] = cdn.nginxPids;
    expect((await fetch(`${cdn.edge}/healthz`)).status).toBe(200);
    expect((await fetch(`${cdn.shield}/healthz`)).status).toBe(200);
    const all = [...cdn.nginxPids, ...cdn.nginxPids.flatMap((p) => descendants(p))];
    expect(all.length).toBeGreaterThanOrEqual(4);
    await cdn.stop();
    await until("every nginx process gone", 5000, () => all.every((p) => !alive(p)));
    expect([shield, edge].every((p) => !alive(p ?? 0))).toBe(true);
    expect(await fetch(`${cdn.edge}/healthz`).catch(() => "refused")).toBe("refused");
  });

  test("when one tier crashes, the script ends its orphaned workers and the other tier, and exits non-zero", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cdn-"));
    const proc = spawnCdnUp(dir, freePort(), freePort(), ["--workers", "1"]);
    try {
      const reader = proc.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain("cdn: ready");
      const shield = Number(await Bun.file(join(dir, "shield.pid")).text());
      const edge = Number(await Bun.file(join(dir, "edge.pid")).text());
      const all = [shield, edge, ...descendants(shield), ...descendants(edge)];
      expect(all.length).toBeGreaterThanOrEqual(4);
      // A crash: the master goes at once and its workers are orphaned, still holding the port.
      process.kill(shield, "SIGKILL");
      expect(await until("cdn.sh to exit", 10_000, () => proc.exitCode ?? undefined)).toBe(1);
      await until("every nginx process gone", 5000, () => all.every((p) => !alive(p)));
    } finally {
      proc.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses node ids and addresses that are not plain names", () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-cdn-"));
    try {
      for (const [flag, value, message] of [
        ["--media", "media-1=127.0.0.1:1;include /etc/passwd", "bad media address"],
        ["--media", "Media_1=127.0.0.1:8083", "bad media node id"],
        ["--chat", "127.0.0.1:8082 backup", "bad chat address"],
        ["--cache-max", "1g; worker_processes 64", "bad cache size"],
      ] as const) {
        const r = Bun.spawnSync(["bash", CDN_SH, "render", "--dir", dir, flag, value]);
        expect({ flag, code: r.exitCode }).toEqual({ flag, code: 2 });
        expect(r.stderr.toString()).toContain(message);
      }
      expect(Bun.spawnSync(["bash", CDN_SH, "check", "--dir", dir]).exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
