import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import type { Socket, TCPSocketListener } from "bun";
import { managerFor, TEST_DATABASE_URL } from "../testing/harness.ts";

// Postgres "goes away" without touching the machine's shared server: the manager reaches the real
// Postgres through a TCP relay that this test closes (connections refused, as with a stopped server)
// and opens again on the same port.
const target = new URL(TEST_DATABASE_URL);
type Link = { peer?: Socket<undefined>; pending: Uint8Array[] };
const links = new Map<Socket<undefined>, Link>();
let relay: TCPSocketListener<undefined> | undefined;
let handle: DatabaseHandle;

function listen(port: number): TCPSocketListener<undefined> {
  return Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port,
    socket: {
      async open(client) {
        const link: Link = { pending: [] };
        links.set(client, link);
        link.peer = await Bun.connect<undefined>({
          hostname: target.hostname,
          port: Number(target.port || 5432),
          socket: {
            data: (_s, chunk) => void client.write(chunk),
            close: () => void client.end(),
          },
        });
        for (const chunk of link.pending) link.peer.write(chunk);
      },
      data(client, chunk) {
        const link = links.get(client);
        if (link?.peer) link.peer.write(chunk);
        else link?.pending.push(new Uint8Array(chunk));
      },
      close(client) {
        links.get(client)?.peer?.end();
        links.delete(client);
      },
    },
  });
}

function cut(): void {
  relay?.stop(true);
  relay = undefined;
  for (const [client, link] of links) {
    link.peer?.terminate();
    client.terminate();
  }
}

beforeAll(async () => {
  relay = listen(0);
  const url = new URL(TEST_DATABASE_URL);
  url.port = String(relay.port);
  handle = await openDatabase({ url: url.toString(), schema: `t_${randomBytes(6).toString("hex")}`, max: 2 });
  await handle.migrate();
});

afterAll(async () => {
  await handle.close().catch(() => {});
  cut();
});

test("Postgres away → 503 (no crash); back → the manager recovers by itself", async () => {
  const { app } = managerFor(handle);
  const req = (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);
  const created = await req("/start_stream?name=before", { method: "POST" });
  expect(created.status).toBe(201);
  const { publicId } = (await created.json()) as { publicId: string };
  const port = relay?.port ?? 0;

  cut();
  await Bun.sleep(50);
  for (const path of ["/streams", `/stream/${publicId}`, "/readyz"]) {
    const res = await req(path);
    expect(res.status).toBe(503);
    if (path !== "/readyz") expect(res.headers.get("retry-after")).toBe("2");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_unavailable");
  }
  expect((await req("/start_stream?name=during", { method: "POST" })).status).toBe(503);

  relay = listen(port);
  let ready = 0;
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = (await req("/readyz")).status;
    if (ready !== 200) await Bun.sleep(100);
  }
  expect(ready).toBe(200);
  expect((await req(`/stream/${publicId}`)).status).toBe(200);
  expect((await req("/start_stream?name=after", { method: "POST" })).status).toBe(201);
}, 30_000);
