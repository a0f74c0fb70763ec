import { rename } from "node:fs/promises";

/** Writes a file so readers see either the old or the new content, never half of one. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await Bun.write(tmp, text);
  await rename(tmp, path);
}
