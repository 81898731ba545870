import { describe, expect, it, vi } from "vitest";
import { SSEParser, subscribe, type VisitEvent } from "./events";
import { Http } from "./http";

describe("SSEParser", () => {
  it("parses events split across chunks, CRLF, comments, multi-line data", () => {
    const got: [string, string, string][] = [];
    const p = new SSEParser((t, d, i) => got.push([t, d, i]));
    p.push(": heartbeat\n\nid: 1\nevent: waiting.joined\nda");
    p.push('ta: {"a":1}\r\n\r\nid: 2\ndata: line1\ndata: line2\n\n');
    p.push("event: x\n"); // incomplete: not emitted
    expect(got).toEqual([
      ["waiting.joined", '{"a":1}', "1"],
      ["message", "line1\nline2", "2"],
    ]);
    expect(p.lastId).toBe("2");
  });
});

function streamOf(text: string): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
}

describe("subscribe", () => {
  it("sends the bearer token, delivers events and resumes with Last-Event-ID", async () => {
    const calls: RequestInit[] = [];
    let n = 0;
    const fetchImpl = vi.fn(async (_url: string, init: RequestInit) => {
      calls.push(init);
      n++;
      if (n === 1) {
        return new Response(streamOf('event: ready\ndata: {}\n\nid: 7\nevent: waiting.joined\ndata: {"type":"waiting.joined","encounterId":"e1"}\n\n'), { status: 200 });
      }
      return new Response(null, { status: 403 });
    }) as unknown as typeof fetch;
    const events: VisitEvent[] = [];
    let opened = 0;
    const states: string[] = [];
    await new Promise<void>((resolve) => {
      subscribe(new Http(async () => "tok"), {
        encounter: "e1",
        fetchImpl,
        onEvent: (e) => events.push(e),
        onOpen: () => opened++,
        onState: (s) => {
          states.push(s);
          if (s === "closed") resolve();
        },
      });
    });
    expect(events.map((e) => e.type)).toEqual(["waiting.joined"]);
    expect(opened).toBe(1);
    expect((calls[0].headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect((calls[1].headers as Record<string, string>)["Last-Event-ID"]).toBe("7");
    expect(states).toContain("reconnecting");
  }, 10000);
});
