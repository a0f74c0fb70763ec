/**
 * The manager's admin API from the operator's browser (`Authorization: Bearer <ADMIN_TOKEN>`); bodies are
 * checked with the contracts' zod/mini schemas. The token is kept in this browser only (like the stream key):
 * it is never sent to the web tier, put in a URL or rendered into a page.
 */
import { AdminOverview, CreationTokenList, ErrorBody, IssuedCreationToken } from "@hearth/contracts/mini";

const TOKEN_KEY = "hearth.admin.token";

/** The admin token this browser keeps, if any. */
export function loadAdminToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Remembers (or, with null, forgets) the admin token. */
export function saveAdminToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** An admin call that failed: the status and the manager's `error.message` (401: the token was refused). */
export class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AdminError";
  }
}

/** The calls the operator's page makes. */
export function adminApi(managerUrl: string, token: string) {
  async function call<T>(
    method: string,
    path: string,
    schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } } | null,
    body?: unknown,
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${managerUrl}/admin${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new AdminError(0, "The manager is unreachable.");
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const err = ErrorBody.safeParse(json);
      const why = err.success ? err.data.error.message : res.statusText;
      throw new AdminError(res.status, res.status === 401 ? `The admin token was refused: ${why}` : why);
    }
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success)
      throw new AdminError(res.status, "The manager's answer does not match the contract.");
    return parsed.data;
  }
  return {
    overview: () => call("GET", "/overview", AdminOverview),
    tokens: () => call("GET", "/creation-tokens", CreationTokenList),
    issueToken: (o: { label: string; uses: number | null; expiresInSeconds: number | null }) =>
      call("POST", "/creation-tokens", IssuedCreationToken, o),
    revokeToken: (id: string) => call<void>("DELETE", `/creation-tokens/${encodeURIComponent(id)}`, null),
    stopStream: (publicId: string) =>
      call<void>("POST", `/streams/${encodeURIComponent(publicId)}/stop`, null),
  };
}
export type AdminApi = ReturnType<typeof adminApi>;
