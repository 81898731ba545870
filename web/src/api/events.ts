// Live visit events: the server's Server-Sent Events stream read with
// fetch (EventSource cannot send the bearer token), reconnecting with
// Last-Event-ID and backoff. See docs/visit-flow.md.
import type { Http } from "./http";

export interface VisitEvent {
  id: string;
  type: string;
  time: string;
  encounterId: string;
  meetingId?: string;
  status?: string;
  participant?: { key: string; profile?: string; name: string; role: string };
  message?: string;
  position?: number;
}

export type StreamState = "connecting" | "open" | "reconnecting" | "closed";

export interface Subscription {
  close(): void;
}

export interface SubscribeOptions {
  encounter?: string;
  onEvent: (e: VisitEvent) => void;
  /** The stream (re)opened: callers reload their state to close any gap. */
  onOpen?: () => void;
  onState?: (s: StreamState) => void;
  /** Overridable for tests. */
  fetchImpl?: typeof fetch;
}

/** Parses an SSE byte stream into (event, data, id) records. */
export class SSEParser {
  private buf = "";
  private event = "";
  private data: string[] = [];
  private id = "";
  lastId = "";
  constructor(private readonly emit: (type: string, data: string, id: string) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buf.slice(0, nl);
      const sep = this.buf.startsWith("\r\n", nl) ? 2 : 1;
      this.buf = this.buf.slice(nl + sep);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) {
        if (this.id) this.lastId = this.id;
        this.emit(this.event || "message", this.data.join("\n"), this.id);
      }
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return; // heartbeat comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = value;
  }
}

export function subscribe(http: Http, opts: SubscribeOptions): Subscription {
  const f = opts.fetchImpl ?? fetch.bind(globalThis);
  let closed = false;
  let ctrl: AbortController | null = null;
  let lastId = "";
  let attempt = 0;

  const setState = (s: StreamState) => opts.onState?.(s);

  async function run(): Promise<void> {
    while (!closed) {
      setState(attempt === 0 ? "connecting" : "reconnecting");
      ctrl = new AbortController();
      try {
        const headers: Record<string, string> = { Accept: "text/event-stream" };
        const tok = await http.accessToken();
        if (tok) headers.Authorization = `Bearer ${tok}`;
        if (lastId) headers["Last-Event-ID"] = lastId;
        const q = opts.encounter ? `?encounter=${encodeURIComponent(opts.encounter)}` : "";
        const res = await f(`/v1/telemed/events${q}`, { headers, signal: ctrl.signal, cache: "no-store" });
        if (res.status === 401 || res.status === 403 || res.status === 404) {
          // Not allowed (any more): retrying would not help.
          setState("closed");
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        const parser = new SSEParser((type, data, id) => {
          if (id) lastId = id;
          if (type === "ready" || type === "resync") {
            attempt = 0;
            setState("open");
            opts.onOpen?.();
            return;
          }
          try {
            const ev = JSON.parse(data) as VisitEvent;
            opts.onEvent({ ...ev, type: ev.type || type });
          } catch {
            // A malformed event is skipped; the next resync repairs state.
          }
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value);
        }
      } catch (e) {
        if (closed) return;
      }
      if (closed) return;
      attempt++;
      const delay = Math.min(10000, 500 * 2 ** Math.min(attempt, 5)) * (0.75 + Math.random() * 0.5);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  void run();
  return {
    close() {
      closed = true;
      ctrl?.abort();
      setState("closed");
    },
  };
}
