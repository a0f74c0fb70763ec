/** Reading an HLS master playlist from the outside, as a player would. */

/** The attributes of an HLS tag line (`NAME=value,NAME="quoted"`), by name, quotes dropped. */
function attributes(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g))
    out[m[1] as string] = (m[2] as string).replaceAll('"', "");
  return out;
}

/** The attributes of every #EXT-X-STREAM-INF (one per variant) of a master playlist, in order. */
export function variantAttributes(master: string): Array<Record<string, string>> {
  return master
    .split("\n")
    .filter((l) => l.startsWith("#EXT-X-STREAM-INF:"))
    .map(attributes);
}
