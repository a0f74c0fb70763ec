/**
 * The client runtime: finds the islands the server marked, reads their serialised props and hydrates
 * each with its component. Nothing else on a page runs JavaScript.
 */
import { type ComponentType, h, hydrate } from "preact";

/** Hydrates every `[data-island]` element whose component is given. */
export function boot(components: Record<string, ComponentType<Record<string, unknown>>>): void {
  const data = document.getElementById("__hearth_islands")?.textContent;
  const props = data ? (JSON.parse(data) as Array<{ name: string; props: Record<string, unknown> }>) : [];
  for (const el of document.querySelectorAll<HTMLElement>("[data-island]")) {
    const name = el.dataset.island ?? "";
    const use = props[Number(el.dataset.islandId)];
    const Component = components[name];
    if (!Component || !use || use.name !== name) continue;
    hydrate(h(Component, use.props), el);
  }
}
