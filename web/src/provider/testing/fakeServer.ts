// A fake Housecall server for component tests: routes fetch calls by method
// and path, records them, and serves a live event stream the test writes to.
import { vi } from "vitest";
import { setSession } from "../../auth/session";

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  headers: Record<string, string>;
}

export type Route = (call: Call) => unknown | Response | undefined | Promise<unknown>;

export interface FakeServer {
  calls: Call[];
  /** Writes one SSE event to every open event stream. */
  emit(type: string, data: Record<string, unknown>): void;
  /** Number of event streams opened so far. */
  streams(): number;
  restore(): void;
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function bundle(matches: unknown[], included: unknown[] = []) {
  return {
    resourceType: "Bundle",
    entry: [...matches.map((resource) => ({ resource, search: { mode: "match" } })), ...included.map((resource) => ({ resource, search: { mode: "include" } }))],
  };
}

/** Signs a practitioner in and routes fetch to `route` (return undefined for 404). */
export function fakeServer(route: Route): FakeServer {
  setSession({
    kind: "user",
    accessToken: "tok",
    expiresAt: Date.now() + 3_600_000,
    scope: "user/*.cruds",
    role: "practitioner",
    fhirUser: "Practitioner/dr1",
    name: "Dr Ada Lee",
  });
  const calls: Call[] = [];
  const open: ReadableStreamDefaultController<Uint8Array>[] = [];
  let opened = 0;
  let seq = 0;
  const enc = new TextEncoder();
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), "http://localhost");
    const headers = (init.headers ?? {}) as Record<string, string>;
    let body: any = undefined;
    if (typeof init.body === "string") body = JSON.parse(init.body);
    const call: Call = { method: init.method ?? "GET", path: url.pathname, query: url.searchParams, body, headers };
    calls.push(call);
    if (url.pathname === "/v1/telemed/events") {
      opened++;
      let ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          ctrl = c;
          open.push(c);
          c.enqueue(enc.encode(`event: ready\ndata: {"time":"${new Date().toISOString()}"}\n\n`));
        },
      });
      init.signal?.addEventListener("abort", () => {
        const i = open.indexOf(ctrl!);
        if (i >= 0) open.splice(i, 1);
      });
      return new Response(stream, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    }
    const out = await route(call);
    if (out instanceof Response) return out;
    if (out === undefined) return json(404, { code: 404, message: "not found" });
    return json(200, out);
  });
  vi.stubGlobal("fetch", fetchImpl);
  return {
    calls,
    emit(type, data) {
      seq++;
      const text = `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ id: String(seq), type, time: new Date().toISOString(), ...data })}\n\n`;
      for (const c of open) {
        try {
          c.enqueue(enc.encode(text));
        } catch {
          // closed stream
        }
      }
    },
    streams: () => opened,
    restore() {
      vi.unstubAllGlobals();
      setSession(null);
    },
  };
}
