/**
 * A tiny read-through cache for rendered directory pages. Fresh entries are served from memory; an expired
 * one is served once more while a single refresh runs (no stampede of identical queries); a cleared one is
 * fetched before answering, so a client sees its own writes at once.
 */
export function pageCache(ttlMs: number, maxEntries = 1000) {
  const entries = new Map<string, { at: number; body: string }>();
  const inflight = new Map<string, Promise<string>>();

  const refresh = (key: string, load: () => Promise<string>): Promise<string> => {
    const running = inflight.get(key);
    if (running) return running;
    const p = load()
      .then((body) => {
        if (entries.size >= maxEntries) entries.clear();
        entries.set(key, { at: Date.now(), body });
        return body;
      })
      .finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };

  return {
    /** The body for `key`, from memory when fresh enough. */
    async get(key: string, load: () => Promise<string>): Promise<string> {
      if (ttlMs <= 0) return load();
      const hit = entries.get(key);
      if (!hit) return refresh(key, load);
      if (Date.now() - hit.at >= ttlMs) void refresh(key, load).catch(() => {});
      return hit.body;
    },
    /** Drops every entry: the next request for each page waits for the database. */
    clear(): void {
      entries.clear();
    },
  };
}
export type PageCache = ReturnType<typeof pageCache>;
