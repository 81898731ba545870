import { describe, expect, it } from "vitest";
import { decode, encode, ProtocolError } from "../src/protocol.js";
import { msidByMid } from "../src/negotiation.js";
import { parseJoinResponse } from "../src/join.js";
import { verdict, type BrowserCheck, type DeviceCheck, type NetworkCheck } from "../src/precall.js";
import { joinAnswer } from "./fakes.js";

describe("protocol", () => {
  it("encodes client messages in the v1 envelope", () => {
    expect(JSON.parse(encode("join", { token: "t" }, "1"))).toEqual({ v: 1, type: "join", id: "1", data: { token: "t" } });
    expect(JSON.parse(encode("leave", {}))).toEqual({ v: 1, type: "leave", data: {} });
  });

  const cases: { name: string; in: string; err?: RegExp; check?: (m: ReturnType<typeof decode>) => void }[] = [
    { name: "not JSON", in: "{", err: /not JSON/ },
    { name: "an array", in: "[]", err: /not an object/ },
    { name: "another version", in: '{"v":2,"type":"offer","data":{"sdp":"v=0"}}', err: /version 2/ },
    { name: "an unknown type", in: '{"v":1,"type":"teleport"}', err: /unknown message type/ },
    { name: "a client-only type", in: '{"v":1,"type":"join","data":{"token":"x"}}', err: /unknown message type/ },
    { name: "an offer without sdp", in: '{"v":1,"type":"offer","data":{}}', err: /sdp must be a string/ },
    { name: "data that is not an object", in: '{"v":1,"type":"chat","data":"hi"}', err: /must be an object/ },
    { name: "a bad publish mode", in: '{"v":1,"type":"publish-profile","data":{"mode":"party","video":{}}}', err: /mode/ },
    {
      name: "joined with nulls where lists belong",
      in: '{"v":1,"type":"joined","data":{"participantId":"p","resumeSecret":"s","roomId":"r","role":"host","participants":null,"iceServers":null,"profile":{"mode":"two-party"},"extra":1}}',
      check: (m) => {
        expect(m.type).toBe("joined");
        if (m.type === "joined") expect([m.data.participants, m.data.iceServers]).toEqual([[], []]);
      },
    },
    {
      name: "a participant without tracks or state",
      in: '{"v":1,"type":"participant-joined","data":{"participant":{"id":"Patient/2","role":"participant"}}}',
      check: (m) => {
        if (m.type === "participant-joined") expect(m.data.participant).toMatchObject({ tracks: [], state: "active" });
      },
    },
    { name: "an error with ref", in: '{"v":1,"type":"error","data":{"code":"room-full","ref":"1","fatal":true}}', check: (m) => expect(m).toMatchObject({ type: "error", data: { code: "room-full", message: "", ref: "1" } }) },
  ];
  for (const c of cases) {
    it(`decodes ${c.name}`, () => {
      if (c.err) {
        expect(() => decode(c.in)).toThrow(ProtocolError);
        expect(() => decode(c.in)).toThrow(c.err);
      } else {
        c.check!(decode(c.in));
      }
    });
  }
});

describe("msidByMid", () => {
  it("maps each media section's mid to its msid track id", () => {
    const sdp = [
      "v=0",
      "o=- 1 2 IN IP4 127.0.0.1",
      "m=audio 9 UDP/TLS/RTP/SAVPF 111",
      "a=mid:0",
      "a=msid:s1 mic-track",
      "m=video 9 UDP/TLS/RTP/SAVPF 96",
      "a=msid:s1 cam-track",
      "a=mid:1",
      "m=video 0 UDP/TLS/RTP/SAVPF 96",
      "a=mid:2",
      "",
    ].join("\r\n");
    expect([...msidByMid(sdp)]).toEqual([
      ["0", "mic-track"],
      ["1", "cam-track"],
    ]);
  });
});

describe("parseJoinResponse", () => {
  it("reads the Chime-style fields", () => {
    expect(parseJoinResponse(joinAnswer)).toEqual({
      signalingUrl: "wss://visits.example.org/rtc",
      token: "join-token",
      meetingId: "m1",
      encounterId: "enc1",
      attendeeId: "a1",
      externalUserId: "Practitioner/1",
      iceServers: [{ urls: ["turn:visits.example.org:3478?transport=udp"], username: "u", credential: "p" }],
    });
  });
  it("refuses an http signalling URL", () => {
    const bad = { ...joinAnswer, Meeting: { ...joinAnswer.Meeting, MediaPlacement: { SignalingUrl: "https://x/rtc" } } };
    expect(() => parseJoinResponse(bad)).toThrow(/ws:\/\/ or wss:\/\//);
  });
});

describe("pre-call verdict", () => {
  const browser: BrowserCheck = { ok: true, webrtc: true, getUserMedia: true, vp8: true, opus: true, secureContext: true, userAgent: "" };
  const dev = (d: Partial<DeviceCheck> = {}): DeviceCheck => ({
    ok: true,
    permission: "granted",
    cameras: [{ deviceId: "c", label: "Cam", groupId: "" }],
    microphones: [{ deviceId: "m", label: "Mic", groupId: "" }],
    speakers: [],
    ...d,
  });
  const net = (n: Partial<NetworkCheck> = {}): NetworkCheck => ({
    ok: true,
    host: true,
    srflx: true,
    relay: true,
    relayProtocols: ["udp"],
    signalling: true,
    rttMs: 40,
    bandwidthKbps: 3000,
    path: "udp",
    ...n,
  });
  const cases: { name: string; b?: Partial<BrowserCheck>; d?: Partial<DeviceCheck>; n?: Partial<NetworkCheck> | null; want: string; advice?: RegExp }[] = [
    { name: "all good", want: "ready" },
    { name: "no network test", n: null, want: "ready" },
    { name: "permission denied", d: { ok: false, permission: "denied" }, want: "blocked", advice: /blocked/ },
    { name: "no microphone", d: { ok: false, microphones: [] }, want: "blocked", advice: /No microphone/ },
    { name: "no camera", d: { ok: false, cameras: [] }, want: "warning", advice: /audio only/ },
    { name: "relayed", n: { path: "relay", srflx: false }, want: "warning", advice: /relayed/ },
    { name: "UDP and TURN blocked", n: { ok: false, path: "none", relay: false }, want: "blocked", advice: /firewall/ },
    { name: "server unreachable", n: { ok: false, signalling: false }, want: "blocked", advice: /cannot be reached/ },
    { name: "slow", n: { bandwidthKbps: 300 }, want: "warning", advice: /blurry/ },
    { name: "far", n: { rttMs: 450 }, want: "warning", advice: /lag/ },
    { name: "no VP8", b: { ok: false, vp8: false }, want: "blocked", advice: /format/ },
    { name: "not https", b: { ok: false, secureContext: false }, want: "blocked", advice: /https/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = verdict({ ...browser, ...c.b }, dev(c.d), c.n === null ? null : net(c.n));
      expect(v.verdict).toBe(c.want);
      expect(v.message.length).toBeGreaterThan(10);
      if (c.advice) expect(v.advice.join(" ")).toMatch(c.advice);
      else expect(v.advice).toEqual([]);
    });
  }
});
