import type { ComponentChildren, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import { IslandCollector, type IslandUse, serialiseForScript } from "./island.tsx";
import type { PageHead } from "./route.ts";

/** The parts of the island bundle a render needs. */
export interface PageAssets {
  entries: Record<string, string>;
  scriptsFor(names: readonly string[]): string[];
  /** The stylesheet URL (versioned so it can be cached for good). */
  css: string;
}

function Head({ head, css, preload }: { head: PageHead; css: string; preload: string[] }) {
  return (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{head.title}</title>
      {head.description && <meta name="description" content={head.description} />}
      {head.noindex && <meta name="robots" content="noindex" />}
      <meta name="theme-color" content="#0e0e10" />
      <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href={css} />
      {Object.entries(head.og ?? {}).map(([k, v]) => (
        <meta key={k} property={`og:${k}`} content={v} />
      ))}
      {preload.map((href) => (
        <link key={href} rel="modulepreload" href={href} />
      ))}
    </head>
  );
}

/** The inline module that imports boot and exactly the islands this page used, then hydrates them. */
function bootScript(assets: PageAssets, names: string[]): string {
  const boot = assets.entries.boot;
  if (!boot || names.length === 0) return "";
  const imports = names.map((n, i) => `import I${i} from ${JSON.stringify(assets.entries[n])};`).join("");
  const map = names.map((n, i) => `${JSON.stringify(n)}:I${i}`).join(",");
  return `import{boot}from${JSON.stringify(boot)};${imports}boot({${map}});`;
}

/** Renders a whole HTML document; islands found in `body` get their props serialised and a boot script. */
export function renderDocument(head: PageHead, body: VNode | ComponentChildren, assets: PageAssets): string {
  const uses: IslandUse[] = [];
  const html = renderToString(<IslandCollector.Provider value={uses}>{body}</IslandCollector.Provider>);
  const names = [...new Set(uses.map((u) => u.name))].filter((n) => assets.entries[n]);
  const preload = names.length > 0 ? assets.scriptsFor(["boot", ...names]) : [];
  const headHtml = renderToString(<Head head={head} css={assets.css} preload={preload} />);
  const islandsJson =
    uses.length > 0
      ? `<script type="application/json" id="__hearth_islands">${serialiseForScript(uses)}</script>`
      : "";
  const script = bootScript(assets, names);
  return `<!doctype html><html lang="en">${headHtml}<body>${html}${islandsJson}${
    script ? `<script type="module">${script}</script>` : ""
  }</body></html>`;
}
