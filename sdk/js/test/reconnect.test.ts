import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connect, type Room } from "../src/room.js";
import { FakeWebSocket, flush, harness, joinAnswer, joined, type Harness } from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function connected(h: Harness, options = {}): Promise<{ room: Room; log: string[] }> {
  const p = connect(joinAnswer, { env: h.env, mediaTimeoutMs: 0, signallingTimeoutMs: 0, ...options });
  await flush();
  h.ws().open();
  await flush();
  h.ws().serve("joined", joined());
  await flush();
  h.ws().serve("answer", { sdp: "v=0\r\n" });
  await flush();
  h.pc().setIce("connected");
  const room = await p;
  const log: string[] = [];
  room.on("reconnecting", (r) => log.push(`reconnecting:${r.split(" ")[0]}`));
  room.on("reconnected", () => log.push("reconnected"));
  room.on("disconnected", (r) => log.push(`disconnected:${r}`));
  room.on("participantJoined", (p) => log.push(`joined:${p.id}`));
  room.on("participantLeft", (p) => log.push(`left:${p.id}`));
  return { room, log };
}

/** Plays the server's side of a successful resume on the newest socket. */
async function resume(h: Harness, over: Record<string, unknown> = {}): Promise<FakeWebSocket> {
  const ws = h.ws();
  ws.open();
  await flush();
  ws.serve("joined", joined({ resumed: true, resumeSecret: "secret-2", ...over }));
  await flush();
  return ws;
}

describe("reconnection", () => {
  it("resumes after the WebSocket drops, with the same identity and no duplicate participant", async () => {
    const h = harness();
    const { room, log } = await connected(h);
    const first = h.ws();
    first.drop(1006);
    await flush();
    expect(log).toEqual(["reconnecting:signalling-lost"]);
    expect(room.state).toBe("reconnecting");
    await flush(300);
    expect(FakeWebSocket.all).toHaveLength(2);
    const ws = await resume(h);
    expect(ws.sent[0]).toMatchObject({ type: "resume", data: { token: "join-token", participantId: "Practitioner/1", resumeSecret: "secret-1" } });
    expect(log).toEqual(["reconnecting:signalling-lost", "reconnected"]);
    expect(room.state).toBe("connected");
    expect(room.resumeSecret).toBe("secret-2");
    expect([...room.remoteParticipants.keys()]).toEqual(["Patient/2"]);
    expect(h.pc().closed).toBe(false);
    // The server's ICE restart offer is answered on the new socket.
    ws.serve("offer", { sdp: "v=0\r\n", iceRestart: true, tracks: {} });
    await flush();
    expect(ws.ofType("answer")).toHaveLength(1);
    expect(first.ofType("answer")).toHaveLength(0);
  });

  it("resumes when ICE fails and reports reconnected only once media flows again", async () => {
    const h = harness();
    const { room, log } = await connected(h);
    const pc = h.pc();
    pc.setIce("failed");
    await flush();
    expect(log).toEqual(["reconnecting:ice-failed"]);
    expect(h.ws(0).closed).not.toBeNull();
    await flush(300);
    await resume(h);
    expect(log).toEqual(["reconnecting:ice-failed"]);
    pc.setIce("checking");
    pc.setIce("connected");
    await flush();
    expect(log).toEqual(["reconnecting:ice-failed", "reconnected"]);
    expect(room.state).toBe("connected");
  });

  it("waits out a short ICE disconnection, then resumes if it lasts", async () => {
    const h = harness();
    const { log } = await connected(h, { iceDisconnectedTimeoutMs: 3000 });
    const pc = h.pc();
    pc.setIce("disconnected");
    await flush(2000);
    pc.setIce("connected");
    await flush(5000);
    expect(log).toEqual([]);
    pc.setIce("disconnected");
    await flush(3000);
    expect(log).toEqual(["reconnecting:ice-disconnected"]);
  });

  it("resumes when nothing arrives from the server although ICE and the socket look fine", async () => {
    const h = harness();
    const { log } = await connected(h, { mediaTimeoutMs: 4000 });
    const pc = h.pc();
    const pair = { id: "cp", type: "candidate-pair", bytesReceived: 100, packetsReceived: 1, requestsReceived: 0, responsesReceived: 0 };
    pc.stats = [{ id: "t", type: "transport", selectedCandidatePairId: "cp" }, pair];
    for (let i = 0; i < 6; i++) {
      pair.bytesReceived += 1000;
      await flush(1000);
    }
    expect(log).toEqual([]);
    await flush(5000);
    expect(log).toEqual(["reconnecting:media-timeout"]);
  });

  it("pings a quiet signalling connection and resumes when even pongs stop", async () => {
    const h = harness();
    const { log } = await connected(h, { signallingTimeoutMs: 9000 });
    const ws = h.ws();
    // Answered pings keep a quiet connection alive.
    for (let t = 0; t < 30_000; t += 1000) {
      for (const ping of ws.ofType("ping")) if (!ping.data.answered) {
        ping.data.answered = 1;
        ws.serve("pong", {}, ping.id);
      }
      await flush(1000);
    }
    expect(ws.ofType("ping").length).toBeGreaterThanOrEqual(9);
    expect(new Set(ws.ofType("ping").map((p) => p.id)).size).toBe(ws.ofType("ping").length);
    expect(log).toEqual([]);
    // A half-open connection: pings go out, nothing comes back (the last
    // pong came at 27 s; silence is tolerated up to 9 s, checked every 3 s).
    await flush(4000);
    expect(log).toEqual([]);
    await flush(4000);
    expect(log).toEqual(["reconnecting:signalling-timeout"]);
    expect(ws.closed).not.toBeNull();
  });

  it("retries with backoff while the network is down and gives up at the end of the grace period", async () => {
    const h = harness();
    const { room, log } = await connected(h);
    h.ws().drop(1006);
    await flush();
    // Every attempt fails: the socket closes before opening.
    for (let t = 0; t < 31_000; t += 100) {
      const ws = h.ws();
      if (ws.readyState === 0 && ws.onclose) ws.drop(1006);
      await flush(100);
    }
    expect(FakeWebSocket.all.length).toBeGreaterThan(5);
    expect(FakeWebSocket.all.length).toBeLessThan(40);
    expect(log).toEqual(["reconnecting:signalling-lost", "disconnected:reconnect-failed"]);
    expect(room.state).toBe("disconnected");
    expect(h.pc().closed).toBe(true);
  });

  it("stops when the server refuses to resume", async () => {
    const h = harness();
    const { log } = await connected(h);
    h.ws().drop(1006);
    await flush(300);
    const ws = h.ws();
    ws.open();
    await flush();
    ws.serve("error", { code: "resume-failed", message: "nothing to resume, join again", fatal: true });
    await flush(5000);
    expect(log).toEqual(["reconnecting:signalling-lost", "disconnected:resume-failed"]);
    expect(FakeWebSocket.all).toHaveLength(2);
  });

  it("applies the room as it is on resume: who left and who came meanwhile", async () => {
    const h = harness();
    const { room, log } = await connected(h);
    h.ws().drop(1006);
    await flush(300);
    await resume(h, { participants: [{ id: "RelatedPerson/3", role: "guest", state: "active", tracks: [] }] });
    expect(log).toEqual(["reconnecting:signalling-lost", "joined:RelatedPerson/3", "left:Patient/2", "reconnected"]);
    expect([...room.remoteParticipants.keys()]).toEqual(["RelatedPerson/3"]);
  });

  it("does not reconnect after a fatal error or the end of the visit", async () => {
    for (const [type, data, reason] of [
      ["error", { code: "removed", message: "removed from the room", fatal: true }, "removed"],
      ["room-closed", { reason: "visit ended" }, "room-closed"],
    ] as const) {
      const h = harness();
      const { room, log } = await connected(h);
      h.ws().serve(type, data);
      h.ws().drop(1000);
      await flush(5000);
      expect(log).toEqual([`disconnected:${reason}`]);
      expect(room.state).toBe("disconnected");
      expect(FakeWebSocket.all).toHaveLength(1);
    }
  });

  it("sends a publication made while reconnecting once resumed", async () => {
    const h = harness();
    const { room } = await connected(h);
    h.ws().drop(1006);
    await flush(300);
    await room.setCameraEnabled(false);
    await room.publishScreen();
    await flush();
    expect(h.pc().signalingState).toBe("stable");
    const ws = await resume(h);
    ws.serve("offer", { sdp: "v=0\r\n", iceRestart: true, tracks: {} });
    await flush();
    expect(ws.sent.map((m) => m.type)).toEqual(["resume", "mute", "mute", "answer", "publish", "offer"]);
    expect(ws.ofType("mute").map((m) => m.data.muted)).toEqual([false, true]);
    expect(ws.ofType("publish")[0].data).toMatchObject({ kind: "screen" });
  });
});
