import { readdirSync } from "node:fs";
import { basename, join } from "node:path";

/** The bundled islands: every file by URL path, and each island's entry script. */
export interface IslandBundle {
  /** URL path (e.g. "/islands/Player-1a2b.js") → file contents. */
  files: Map<string, string>;
  /** Entry name ("boot", "Player", ...) → URL path. */
  entries: Record<string, string>;
  /** Every script a page with these entries loads, imports followed (for modulepreload and budgets). */
  scriptsFor(names: readonly string[]): string[];
  /** These files plus everything they import statically. */
  closure(paths: readonly string[]): string[];
}

const ISLANDS_DIR = join(import.meta.dir, "..", "islands");
const BOOT = join(import.meta.dir, "boot.ts");
const PREFIX = "/islands/";

/** Lists the island modules: PascalCase `.tsx` files directly in islands/ (Fresh's convention). */
export function islandFiles(dir = ISLANDS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /^[A-Z][A-Za-z0-9]*\.tsx$/.test(f))
    .map((f) => join(dir, f));
}

/**
 * Bundles the boot runtime and every island with Bun.build: ES modules split into shared chunks so
 * preact (and hls.js, zod) load once however many islands a page uses. Kept in memory; main.ts serves
 * it and may also write it under static/islands for a CDN.
 */
export async function buildIslands(options: { minify?: boolean; dir?: string } = {}): Promise<IslandBundle> {
  const entrypoints = [BOOT, ...islandFiles(options.dir)];
  const result = await Bun.build({
    entrypoints,
    target: "browser",
    format: "esm",
    splitting: true,
    minify: options.minify ?? true,
    sourcemap: "none",
    naming: { entry: "[name]-[hash].[ext]", chunk: "chunk-[hash].[ext]", asset: "[name]-[hash].[ext]" },
    define: { "process.env.NODE_ENV": '"production"' },
  });
  if (!result.success) {
    throw new AggregateError(result.logs, `island build failed: ${result.logs.map(String).join("; ")}`);
  }
  const files = new Map<string, string>();
  const entries: Record<string, string> = {};
  for (const out of result.outputs) {
    const file = basename(out.path);
    files.set(PREFIX + file, await out.text());
    if (out.kind === "entry-point") {
      const name = file.replace(/-[a-z0-9]+\.js$/, "");
      entries[name] = PREFIX + file;
    }
  }
  const importsOf = (path: string): string[] => {
    const text = files.get(path) ?? "";
    const found: string[] = [];
    // Static imports between our own outputs are relative ("./chunk-x.js"); that is all splitting emits.
    for (const m of text.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.js)["']/g)) found.push(PREFIX + m[1]);
    return found;
  };
  const closure = (paths: readonly string[]): string[] => {
    const seen = new Set<string>();
    const queue = [...paths];
    while (queue.length > 0) {
      const p = queue.shift() as string;
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(...importsOf(p));
    }
    return [...seen];
  };
  return {
    files,
    entries,
    closure,
    scriptsFor: (names) => closure(names.map((n) => entries[n]).filter((p): p is string => p !== undefined)),
  };
}
