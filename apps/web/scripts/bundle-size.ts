/**
 * Prints the JavaScript each page loads, gzip-compressed: up front (boot + its islands + their static
 * imports, all modulepreloaded) and deferred (chunks fetched by dynamic import, e.g. the zod contracts).
 * Run: bun apps/web/scripts/bundle-size.ts
 */
import { buildIslands } from "../src/runtime/build-islands.ts";

const bundle = await buildIslands();
const gz = (path: string) => Bun.gzipSync(bundle.files.get(path) ?? "").length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const pages: Record<string, string[]> = {
  "/": ["Directory"],
  "/watch/:id": ["Player", "Chat"],
  "/videos/:id": ["VodPlayer", "ChatReplay"],
  "/clips/:id": ["VodPlayer"],
  "/broadcast": ["Broadcast"],
  "/admin": ["Admin"],
};

for (const [page, islands] of Object.entries(pages)) {
  const upFront = bundle.scriptsFor(["boot", ...islands]);
  const upBytes = upFront.reduce((n, p) => n + gz(p), 0);
  // Deferred: dynamic imports reachable from the page's files (one level is all this app uses).
  const targets: string[] = [];
  for (const p of upFront) {
    for (const m of (bundle.files.get(p) ?? "").matchAll(/import\(\s*["']\.\/([^"']+\.js)["']\s*\)/g)) {
      targets.push(`/islands/${m[1]}`);
    }
  }
  const dynamic = bundle.closure(targets).filter((d) => !upFront.includes(d));
  const lazyBytes = [...dynamic].reduce((n, p) => n + gz(p), 0);
  console.log(
    `${page.padEnd(12)} up front ${kb(upBytes).padStart(9)} gzip (${upFront.length} files)   deferred ${kb(lazyBytes).padStart(8)}   total ${kb(upBytes + lazyBytes)}`,
  );
}
