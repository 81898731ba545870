import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connect, type Room } from "../src/room.js";
import { FakeTrack, flush, harness, joinAnswer, joined, simulcastProfile, type Harness } from "./fakes.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Connects a room through the fakes: join, joined, publish, offer, answer, ICE up. */
async function connected(h: Harness, over: Record<string, unknown> = {}, options = {}): Promise<Room> {
  const p = connect(joinAnswer, { env: h.env, ...options });
  await flush();
  h.ws().open();
  await flush();
  h.ws().serve("joined", joined(over));
  await flush();
  h.ws().serve("answer", { sdp: "v=0\r\ns=server-answer\r\n" });
  await flush();
  h.pc().setIce("connected");
  const room = await p;
  await flush();
  return room;
}

function record(room: Room, names: string[]): string[] {
  const log: string[] = [];
  for (const n of names) {
    room.on(n as never, ((...args: unknown[]) => {
      const a = args[0] as { id?: string; kind?: string } | string | undefined;
      log.push(`${n}${typeof a === "string" ? ":" + a : a?.id ? ":" + a.id : a && "kind" in a ? ":" + a.kind : ""}`);
    }) as never);
  }
  return log;
}

describe("connect", () => {
  it("joins with the token, publishes microphone and camera, offers, and waits for ICE", async () => {
    const h = harness();
    let settled = false;
    const p = connect(joinAnswer, { env: h.env }).then((r) => ((settled = true), r));
    await flush();
    const ws = h.ws();
    expect(ws.url).toBe("wss://visits.example.org/rtc");
    ws.open();
    await flush();
    expect(ws.sent[0]).toMatchObject({ v: 1, type: "join", data: { token: "join-token" } });
    expect(String(ws.sent[0].data.sdk)).toMatch(/^housecall-js\//);
    ws.serve("joined", joined());
    await flush();
    const pc = h.pc();
    expect(pc.config.iceServers).toEqual([{ urls: ["stun:visits.example.org:3478"], username: undefined, credential: undefined }]);
    expect(pc.config.bundlePolicy).toBe("max-bundle");
    const types = ws.sent.map((m) => m.type);
    expect(types).toEqual(["join", "publish", "publish", "offer"]);
    const [mic, cam] = ws.ofType("publish").map((m) => m.data);
    const tracks = pc.transceivers.map((t) => t.sender.track as unknown as FakeTrack);
    expect(mic).toMatchObject({ kind: "microphone", trackId: tracks[0].id });
    expect(cam).toMatchObject({ kind: "camera", trackId: tracks[1].id, width: 1280, height: 720 });
    expect(cam.simulcast).toBeUndefined();
    expect(pc.transceivers[1].sender.params.encodings).toEqual([{ maxBitrate: 1500000, maxFramerate: 24 }]);
    expect(h.gum).toHaveBeenCalledTimes(1);
    ws.serve("answer", { sdp: "v=0\r\n" });
    await flush();
    expect(pc.signalingState).toBe("stable");
    expect(settled).toBe(false);
    pc.setIce("connected");
    const room = await p;
    expect(room.state).toBe("connected");
    expect(room.localParticipant).toMatchObject({ id: "Practitioner/1", role: "host", canModerate: true });
    expect([...room.remoteParticipants.keys()]).toEqual(["Patient/2"]);
    expect([...room.remoteParticipants.get("Patient/2")!.publications.keys()]).toEqual(["p2-mic", "p2-cam"]);
  });

  it("rejects with the server's code when the token is refused, and releases the camera", async () => {
    const h = harness();
    const p = connect(joinAnswer, { env: h.env });
    const caught = p.catch((e) => e);
    await flush();
    h.ws().open();
    await flush();
    h.ws().serve("error", { code: "unauthorized", message: "token refused", fatal: true });
    const err = await caught;
    expect(err).toMatchObject({ name: "HousecallError", code: "unauthorized" });
    await flush();
    const tracks = (await h.gum.mock.results[0].value).getTracks() as FakeTrack[];
    expect(tracks.every((t) => t.stopped)).toBe(true);
  });

  it("rejects a join answer without a signalling URL or token", async () => {
    await expect(connect({ Meeting: {}, Attendee: {} })).rejects.toMatchObject({ code: "invalid-join-response" });
    await expect(connect({ ...joinAnswer, Attendee: { JoinToken: "" } })).rejects.toMatchObject({ code: "invalid-join-response" });
  });

  it("fails with connect-timeout when ICE never connects", async () => {
    const h = harness();
    const p = connect(joinAnswer, { env: h.env, connectTimeoutMs: 5000 });
    const caught = p.catch((e) => e);
    await flush();
    h.ws().open();
    await flush();
    h.ws().serve("joined", joined());
    await flush(5001);
    expect(await caught).toMatchObject({ code: "connect-timeout" });
    expect(h.pc().closed).toBe(true);
  });
});

describe("participants and tracks", () => {
  it("keeps the participant map and emits joins and leaves", async () => {
    const h = harness();
    const room = await connected(h);
    const log = record(room, ["participantJoined", "participantLeft", "participantStateChanged"]);
    h.ws().serve("participant-joined", { participant: { id: "RelatedPerson/3", name: "Ines", role: "guest", state: "active", tracks: [] } });
    h.ws().serve("participant-state", { participantId: "Patient/2", state: "reconnecting" });
    h.ws().serve("participant-left", { participantId: "Patient/2", reason: "timeout" });
    await flush();
    expect(log).toEqual(["participantJoined:RelatedPerson/3", "participantStateChanged:Patient/2", "participantLeft:Patient/2"]);
    expect([...room.remoteParticipants.keys()]).toEqual(["RelatedPerson/3"]);
  });

  it("attributes received tracks by mid and unsubscribes what a later offer drops", async () => {
    const h = harness();
    const room = await connected(h);
    const subs: string[] = [];
    room.on("trackSubscribed", (t, p) => subs.push(`+${p.id}/${t.trackId}/${t.kind}`));
    room.on("trackUnsubscribed", (t, p) => subs.push(`-${p.id}/${t.trackId}`));
    const tracks = {
      "2": { participantId: "Patient/2", trackId: "p2-mic", kind: "microphone" },
      "3": { participantId: "Patient/2", trackId: "p2-cam", kind: "camera" },
    };
    h.ws().serve("offer", { sdp: "v=0\r\na=mid:2 audio\r\na=mid:3 video\r\n", tracks });
    await flush();
    expect(subs).toEqual(["+Patient/2/p2-mic/microphone", "+Patient/2/p2-cam/camera"]);
    const answer = h.ws().ofType("answer");
    expect(answer).toHaveLength(1);
    const cam = room.remoteParticipants.get("Patient/2")!.track("camera")!;
    expect(cam.mid).toBe("3");
    h.ws().serve("offer", { sdp: "v=0\r\na=mid:2 audio\r\na=mid:3 video\r\n", tracks: { "2": tracks["2"] } });
    await flush();
    expect(subs.at(-1)).toBe("-Patient/2/p2-cam");
    expect(room.remoteParticipants.get("Patient/2")!.track("camera")).toBeNull();
  });

  it("reports rendered sizes only for tracks it receives", async () => {
    const h = harness();
    const room = await connected(h);
    room.setRenderedSize("Patient/2", "p2-cam", 640, 360);
    expect(h.ws().ofType("subscription")).toHaveLength(0);
    h.ws().serve("offer", { sdp: "v=0\r\na=mid:3 video\r\n", tracks: { "3": { participantId: "Patient/2", trackId: "p2-cam", kind: "camera" } } });
    await flush();
    room.remoteParticipants.get("Patient/2")!.track("camera")!.setRenderedSize(640.4, 359.6);
    expect(h.ws().ofType("subscription").map((m) => m.data)).toEqual([{ participantId: "Patient/2", trackId: "p2-cam", width: 640, height: 360 }]);
  });

  it("applies remote mute state and active speaker and network quality", async () => {
    const h = harness();
    const room = await connected(h);
    const log = record(room, ["trackMuted", "trackUnmuted", "activeSpeaker", "networkQuality"]);
    h.ws().serve("mute", { participantId: "Patient/2", trackId: "p2-mic", kind: "microphone", muted: true });
    h.ws().serve("active-speaker", { participantId: "Patient/2", speakers: [{ participantId: "Patient/2", level: 0.6 }] });
    h.ws().serve("network-quality", { scores: [{ participantId: "Patient/2", score: 4 }, { participantId: "Practitioner/1", score: 5 }] });
    h.ws().serve("network-quality", { scores: [{ participantId: "Patient/2", score: 4 }, { participantId: "Practitioner/1", score: 5 }] });
    await flush();
    const p2 = room.remoteParticipants.get("Patient/2")!;
    expect(p2.publications.get("p2-mic")!.muted).toBe(true);
    expect(p2).toMatchObject({ isSpeaking: true, audioLevel: 0.6, networkQuality: 4 });
    expect(room.localParticipant.networkQuality).toBe(5);
    expect(log).toEqual(["trackMuted:microphone", "activeSpeaker:Patient/2", "networkQuality:Patient/2", "networkQuality:Practitioner/1"]);
  });
});

describe("negotiation", () => {
  it("rolls back its own offer on glare, answers the server, and offers again", async () => {
    const h = harness();
    const room = await connected(h);
    const pc = h.pc();
    const offersBefore = h.ws().ofType("offer").length;
    await room.publishScreen();
    await flush();
    expect(pc.signalingState).toBe("have-local-offer");
    expect(h.ws().ofType("publish").at(-1)!.data).toMatchObject({ kind: "screen" });
    h.ws().serve("offer", { sdp: "v=0\r\na=mid:9 video\r\n", tracks: {} });
    await flush();
    expect(pc.rollbacks).toBe(1);
    expect(h.ws().ofType("answer")).toHaveLength(1);
    expect(h.ws().ofType("offer")).toHaveLength(offersBefore + 2);
    expect(pc.signalingState).toBe("have-local-offer");
    expect(pc.transceivers.at(-2)!.sender.track!.contentHint).toBe("detail");
  });

  it("queues server candidates until a remote description exists", async () => {
    const h = harness();
    const p = connect(joinAnswer, { env: h.env });
    await flush();
    h.ws().open();
    await flush();
    h.ws().serve("joined", joined());
    h.ws().serve("candidate", { candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0" });
    await flush();
    expect(h.pc().candidates).toHaveLength(0);
    h.ws().serve("answer", { sdp: "v=0\r\n" });
    await flush();
    expect(h.pc().candidates).toEqual([{ candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: undefined, usernameFragment: undefined }]);
    h.pc().setIce("connected");
    await p;
  });

  it("republishes the camera with three simulcast layers when told, and back", async () => {
    const h = harness();
    const room = await connected(h);
    const ws = h.ws();
    const oldID = room.localParticipant.publications.get("camera")!.trackId;
    ws.serve("publish-profile", simulcastProfile);
    await flush();
    expect(ws.ofType("unpublish").map((m) => m.data)).toEqual([{ trackId: oldID }]);
    const pub = ws.ofType("publish").at(-1)!.data;
    expect(pub).toMatchObject({ kind: "camera", simulcast: true });
    expect(pub.trackId).not.toBe(oldID);
    const tr = h.pc().transceivers.at(-1)!;
    expect(tr.sender.params.encodings.map((e) => e.rid)).toEqual(["q", "h", "f"]);
    expect(tr.sender.params.encodings[0]).toMatchObject({ scaleResolutionDownBy: 4, maxBitrate: 150000, maxFramerate: 15 });
    expect(h.pc().transceivers[1].stopped).toBe(true);
    expect(room.localParticipant.publications.get("camera")!.simulcast).toBe(true);
    ws.serve("answer", { sdp: "v=0\r\n" });
    await flush();
    ws.serve("publish-profile", joined().profile);
    await flush();
    expect(ws.ofType("publish").at(-1)!.data.simulcast).toBeUndefined();
    expect(h.pc().transceivers.at(-1)!.sender.params.encodings).toHaveLength(1);
  });

  it("follows layer hints by default: pauses unused layers and resumes them when asked", async () => {
    for (const pause of [undefined, false, true]) {
      const h = harness();
      const room = await connected(h, { profile: simulcastProfile }, pause === undefined ? {} : { pauseUnusedLayers: pause });
      const pub = room.localParticipant.publications.get("camera")!;
      const active = () => h.pc().transceivers[1].sender.params.encodings.map((e) => e.active);
      h.ws().serve("layer-hint", { trackId: pub.trackId, active: ["q"] });
      await flush();
      expect(active()).toEqual(pause === false ? [true, true, true] : [true, false, false]);
      h.ws().serve("layer-hint", { trackId: pub.trackId, active: ["q", "f"] });
      await flush();
      expect(active()).toEqual(pause === false ? [true, true, true] : [true, false, true]);
      await room.disconnect();
    }
  });
});

describe("local controls", () => {
  it("mutes the microphone in place and releases the camera when it is turned off", async () => {
    const h = harness();
    const room = await connected(h);
    const mic = room.localParticipant.track("microphone") as unknown as FakeTrack;
    const cam = room.localParticipant.track("camera") as unknown as FakeTrack;
    const offers = h.pc().offers;
    await room.setMicrophoneEnabled(false);
    await room.setCameraEnabled(false);
    expect(mic.enabled).toBe(false);
    expect(cam.stopped).toBe(true);
    expect(h.pc().transceivers[1].sender.replaced).toEqual([null]);
    expect(h.ws().ofType("mute").map((m) => m.data.muted)).toEqual([true, true]);
    await room.setCameraEnabled(true);
    const fresh = h.pc().transceivers[1].sender.track!;
    expect(fresh).not.toBe(cam);
    expect(fresh.stopped).toBe(false);
    expect(room.localParticipant.isCameraEnabled).toBe(true);
    expect(h.pc().offers).toBe(offers);
  });

  it("switches devices with replaceTrack and no renegotiation", async () => {
    const h = harness();
    const room = await connected(h);
    const old = room.localParticipant.track("camera") as unknown as FakeTrack;
    const offers = h.pc().offers;
    await room.switchDevice("videoinput", "usb-cam");
    expect(h.gum).toHaveBeenLastCalledWith({ video: expect.objectContaining({ deviceId: { exact: "usb-cam" } }) });
    expect(old.stopped).toBe(true);
    expect((h.pc().transceivers[1].sender.track as FakeTrack).deviceId).toBe("usb-cam");
    expect(h.pc().offers).toBe(offers);
  });

  it("obeys a moderator's mute", async () => {
    const h = harness();
    const room = await connected(h);
    const muted: string[] = [];
    room.on("trackMuted", (i) => muted.push(`${i.participant.id}/${i.kind}/${i.by}`));
    h.ws().serve("mute", { participantId: "Practitioner/1", kind: "microphone", muted: true, by: "Practitioner/9" });
    await flush();
    expect((room.localParticipant.track("microphone") as unknown as FakeTrack).enabled).toBe(false);
    expect(h.ws().ofType("mute").at(-1)!.data).toMatchObject({ muted: true });
    expect(muted).toEqual(["Practitioner/1/microphone/Practitioner/9"]);
  });

  it("sends chat and resolves when the server relays it; a refusal rejects", async () => {
    const h = harness();
    const room = await connected(h);
    const got: string[] = [];
    room.on("chat", (m) => got.push(`${m.from.id}:${m.text}:${m.local}`));
    // The same text twice: each send resolves with its own message, by id.
    const first = room.sendChat("hello");
    const second = room.sendChat("hello");
    await flush();
    const [m1, m2] = h.ws().ofType("chat");
    expect(m1.data).toEqual({ text: "hello" });
    expect(m1.id).not.toBe(m2.id);
    const me = { id: "Practitioner/1", name: "Dr One" };
    h.ws().serve("chat", { text: "hello", messageId: "x0", from: { id: "Patient/2", name: "Pat" }, time: 1700000000000 });
    h.ws().serve("chat", { text: "hello", messageId: "x2", from: me, time: 1700000000000 }, m2.id);
    await expect(second).resolves.toMatchObject({ id: "x2", local: true });
    h.ws().serve("chat", { text: "hello", messageId: "x1", from: me, time: 1700000000000 }, m1.id);
    await expect(first).resolves.toMatchObject({ id: "x1", local: true });
    expect(got).toEqual(["Patient/2:hello:false", "Practitioner/1:hello:true", "Practitioner/1:hello:true"]);
    const refused = room.sendChat("again");
    const caught = refused.catch((e) => e);
    await flush();
    h.ws().serve("error", { code: "chat-failed", message: "not stored", ref: h.ws().ofType("chat")[2].id });
    expect(await caught).toMatchObject({ code: "chat-failed" });
    await expect(room.sendChat("  ")).rejects.toMatchObject({ code: "bad-request" });
  });

  it("lets moderators mute and remove others", async () => {
    const h = harness();
    const room = await connected(h);
    const m = room.mute("Patient/2", "camera");
    await flush();
    expect(h.ws().ofType("mute").at(-1)!.data).toEqual({ participantId: "Patient/2", kind: "camera", muted: true });
    h.ws().serve("mute", { participantId: "Patient/2", trackId: "p2-cam", kind: "camera", muted: true, by: "Practitioner/1" });
    await m;
    const r = room.remove("Patient/2", "disruptive");
    await flush();
    expect(h.ws().ofType("remove")[0].data).toEqual({ participantId: "Patient/2", reason: "disruptive" });
    h.ws().serve("participant-left", { participantId: "Patient/2", reason: "disruptive" });
    await r;
    expect(room.remoteParticipants.size).toBe(0);
  });

  it("disconnect sends leave, releases media and emits disconnected", async () => {
    const h = harness();
    const room = await connected(h);
    const reasons: string[] = [];
    room.on("disconnected", (r) => reasons.push(r));
    const cam = room.localParticipant.track("camera") as unknown as FakeTrack;
    const ws = h.ws();
    await room.disconnect();
    expect(ws.ofType("leave")).toHaveLength(1);
    expect(ws.closed).not.toBeNull();
    expect(cam.stopped).toBe(true);
    expect(h.pc().closed).toBe(true);
    expect(reasons).toEqual(["client"]);
    expect(room.state).toBe("disconnected");
  });
});

describe("getStats", () => {
  it("attributes inbound streams by mid and summarises the candidate pair", async () => {
    const h = harness();
    const room = await connected(h);
    h.ws().serve("offer", { sdp: "v=0\r\na=mid:3 video\r\n", tracks: { "3": { participantId: "Patient/2", trackId: "p2-cam", kind: "camera" } } });
    await flush();
    h.pc().stats = [
      { id: "in1", type: "inbound-rtp", kind: "video", mid: "3", framesDecoded: 90, frameWidth: 1280, frameHeight: 720, packetsReceived: 400, codecId: "c1" },
      { id: "c1", type: "codec", mimeType: "video/VP8" },
      { id: "out1", type: "outbound-rtp", kind: "video", mid: "1", rid: "f", packetsSent: 10, frameWidth: 1280 },
      { id: "t", type: "transport", selectedCandidatePairId: "cp" },
      { id: "cp", type: "candidate-pair", localCandidateId: "l", remoteCandidateId: "r", currentRoundTripTime: 0.042, availableOutgoingBitrate: 1e6 },
      { id: "l", type: "local-candidate", candidateType: "relay", protocol: "udp", relayProtocol: "tcp" },
      { id: "r", type: "remote-candidate", candidateType: "host" },
    ];
    const s = await room.getStats();
    expect(s.inbound[0]).toMatchObject({ participantId: "Patient/2", trackId: "p2-cam", kind: "camera", framesDecoded: 90, frameWidth: 1280, codec: "video/VP8" });
    expect(s.outbound[0]).toMatchObject({ kind: "camera", rid: "f", trackId: room.localParticipant.publications.get("camera")!.trackId });
    expect(s.connection).toMatchObject({ rttMs: 42, localCandidateType: "relay", relayProtocol: "tcp", remoteCandidateType: "host" });
  });
});

