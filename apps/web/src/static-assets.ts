import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import type { Asset } from "./app.ts";
import type { IslandBundle } from "./runtime/build-islands.ts";

const TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".js": "text/javascript; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Short content hash, used to version the stylesheet URL. */
export function contentHash(body: string | Uint8Array): string {
  return Bun.hash(body).toString(36).slice(0, 8);
}

/** Loads static/ (except the build output) and the island bundle into one in-memory asset map. */
export function loadAssets(staticDir: string, bundle: IslandBundle): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of readdirSync(staticDir, { withFileTypes: true })) {
    if (!file.isFile()) continue;
    const type = TYPES[extname(file.name)] ?? "application/octet-stream";
    assets.set(`/static/${file.name}`, {
      body: readFileSync(join(staticDir, file.name)),
      type,
      immutable: false,
    });
  }
  for (const [path, body] of bundle.files)
    assets.set(path, { body, type: TYPES[".js"] as string, immutable: true });
  return assets;
}

/** Writes the bundle under static/islands (git-ignored) so a CDN or an edge deploy can serve it as files. */
export function writeBundle(staticDir: string, bundle: IslandBundle): void {
  const out = join(staticDir, "islands");
  mkdirSync(out, { recursive: true });
  for (const [path, body] of bundle.files) writeFileSync(join(out, path.slice("/islands/".length)), body);
}
