/**
 * Whole text lines from a byte stream, however the bytes were chunked: a line split across two reads is
 * joined, never torn. Never throws: a stream that errors just ends the lines.
 */
export async function* readLines(source: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of source) {
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        yield buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
      // ffmpeg's interactive status uses \r; a line that never ends must not grow without bound.
      if (buf.length > MAX_LINE) buf = buf.slice(-MAX_LINE);
    }
  } catch {
    // The pipe broke (process killed): the lines so far are all there is.
  }
  buf += decoder.decode();
  if (buf.length > 0) yield buf.replace(/\r$/, "");
}

/** Longest line kept; anything before it in an endless line is dropped. */
const MAX_LINE = 16 * 1024;

/** The last `size` lines seen (for crash logs). */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly size: number) {}

  push(line: string): void {
    if (line.length === 0) return;
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.splice(0, this.lines.length - this.size);
  }

  text(): string {
    return this.lines.join("\n");
  }

  clear(): void {
    this.lines.length = 0;
  }
}
