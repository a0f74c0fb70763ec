import type { z } from "zod";

/** Thrown when another service cannot be reached or answers with an error. */
export class UpstreamError extends Error {
  constructor(
    readonly service: string,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = "UpstreamError";
  }
}

export interface InternalClientOptions {
  service: string;
  baseUrl: string;
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A small typed client for token-protected internal HTTP calls; bodies parsed with zod. */
export function internalClient(options: InternalClientOptions) {
  const doFetch = options.fetch ?? fetch;
  async function call<T extends z.ZodType>(
    method: string,
    path: string,
    body: unknown,
    schema: T | null,
  ): Promise<z.infer<T> | undefined> {
    let res: Response;
    try {
      res = await doFetch(new URL(path, options.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
      });
    } catch (err) {
      throw new UpstreamError(
        options.service,
        undefined,
        `${options.service} unreachable: ${(err as Error).message}`,
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => "");
      throw new UpstreamError(
        options.service,
        res.status,
        `${options.service} answered ${res.status}: ${text.slice(0, 200)}`,
      );
    }
    if (!schema) return undefined;
    return schema.parse(await res.json());
  }
  return { call };
}
export type InternalClient = ReturnType<typeof internalClient>;
