import { type ComponentType, createContext } from "preact";
import { useContext } from "preact/hooks";

/** One island instance found while rendering a page: its name and its serialisable props. */
export interface IslandUse {
  name: string;
  props: unknown;
}

/** Collects the islands a render uses, in document order (null inside an island: it hydrates as a whole). */
export const IslandCollector = createContext<IslandUse[] | null>(null);

/**
 * Wraps an island component for server rendering: the output is marked with `data-island` and the
 * props are recorded for the page's boot script, which hydrates only the islands a page uses.
 */
export function island<P extends object>(name: string, Component: ComponentType<P>): ComponentType<P> {
  function IslandMarker(props: P) {
    const uses = useContext(IslandCollector);
    if (!uses) return <Component {...props} />;
    const id = uses.length;
    uses.push({ name, props });
    return (
      <div data-island={name} data-island-id={id} style="display:contents">
        <IslandCollector.Provider value={null}>
          <Component {...props} />
        </IslandCollector.Provider>
      </div>
    );
  }
  IslandMarker.displayName = `Island(${name})`;
  return IslandMarker;
}

/** JSON for an inline <script>: `<` escaped so no prop value can close the tag. */
export function serialiseForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}
