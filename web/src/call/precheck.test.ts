import { describe, expect, it, vi } from "vitest";
import { parseJoinResponse, type NetworkCheck } from "@housecall/sdk";
import { keepChoice, networkWords, overallVerdict, precheckProblems, probeDevices, sameOriginJoin, type DeviceProbe } from "./precheck";
import { goodBrowser } from "./testkit";

const named = (name: string) => Object.assign(new Error(name), { name });
const stream = () => ({ getTracks: () => [{ stop: vi.fn() }] }) as unknown as MediaStream;
const dev = (kind: MediaDeviceKind, id: string, label = "") => ({ kind, deviceId: id, label, groupId: "g" }) as MediaDeviceInfo;
const all = [dev("videoinput", "cam1", "Front camera"), dev("audioinput", "mic1", "Headset"), dev("audiooutput", "spk1")];

/** A fake navigator.mediaDevices: open(constraints) decides what getUserMedia does. */
function md(open: (c: MediaStreamConstraints) => void, devices = all) {
  return {
    getUserMedia: vi.fn(async (c: MediaStreamConstraints) => {
      open(c);
      return stream();
    }),
    enumerateDevices: vi.fn(async () => devices),
  };
}

const net = (n: Partial<NetworkCheck>): NetworkCheck => ({
  ok: true,
  host: true,
  srflx: true,
  relay: false,
  relayProtocols: [],
  signalling: true,
  rttMs: 40,
  bandwidthKbps: -1,
  path: "udp",
  ...n,
});

describe("probeDevices", () => {
  it("asks once and lists labelled devices", async () => {
    const m = md(() => {});
    const d = await probeDevices(m);
    expect(m.getUserMedia).toHaveBeenCalledTimes(1);
    expect(d.permission).toBe("granted");
    expect(d.ok).toBe(true);
    expect(d.cameras.map((c) => c.label)).toEqual(["Front camera"]);
    expect(d.speakers.map((c) => c.label)).toEqual(["Speaker 1"]);
  });

  it("reports a refusal without asking again", async () => {
    const m = md(() => {
      throw named("NotAllowedError");
    });
    const d = await probeDevices(m);
    expect(m.getUserMedia).toHaveBeenCalledTimes(1);
    expect(d.permission).toBe("denied");
    expect(precheckProblems(goodBrowser, d, null).map((p) => p.kind)).toEqual(["camera-denied"]);
  });

  it("finds the working microphone when there is no camera", async () => {
    const m = md(
      (c) => {
        if (c.video) throw named("NotFoundError");
      },
      [dev("audioinput", "mic1", "Built-in")],
    );
    const d = await probeDevices(m);
    expect(d.permission).toBe("granted");
    expect(d.cameraError).toBe("NotFoundError");
    expect(d.microphones).toHaveLength(1);
    const problems = precheckProblems(goodBrowser, d, null);
    expect(problems.map((p) => p.kind)).toEqual(["no-camera"]);
    expect(overallVerdict(goodBrowser, d, null, problems).verdict).toBe("warning");
  });

  it("tells a busy camera from a missing one", async () => {
    const m = md((c) => {
      if (c.video) throw named("NotReadableError");
    });
    const d = await probeDevices(m);
    expect(d.cameraError).toBe("NotReadableError");
    expect(d.cameras).toHaveLength(1);
    const problems = precheckProblems(goodBrowser, d, null);
    expect(problems.map((p) => p.kind)).toEqual(["device-busy"]);
    expect(overallVerdict(goodBrowser, d, null, problems).verdict).toBe("blocked");
  });

  it("blocks without a microphone", async () => {
    const m = md(
      (c) => {
        if (c.audio) throw named("NotFoundError");
      },
      [dev("videoinput", "cam1", "Cam")],
    );
    const d = await probeDevices(m);
    const problems = precheckProblems(goodBrowser, d, null);
    expect(problems.map((p) => p.kind)).toEqual(["no-microphone"]);
    expect(overallVerdict(goodBrowser, d, null, problems).verdict).toBe("blocked");
  });

  it("copes with a browser without media devices", async () => {
    const d = await probeDevices(undefined);
    expect(d.permission).toBe("error");
    const b = { ...goodBrowser, ok: false, getUserMedia: false };
    // The browser is the problem, not the devices.
    expect(precheckProblems(b, d, null).map((p) => p.kind)).toEqual(["unsupported-browser"]);
    expect(precheckProblems({ ...goodBrowser, secureContext: false }, d, null).map((p) => p.kind)).toEqual(["insecure-page"]);
  });
});

describe("network verdict", () => {
  const ready: DeviceProbe = { ok: true, permission: "granted", cameras: [{ deviceId: "c", label: "C", groupId: "" }], microphones: [{ deviceId: "m", label: "M", groupId: "" }], speakers: [] };

  it("is ready when everything works", () => {
    const n = net({});
    const problems = precheckProblems(goodBrowser, ready, n);
    expect(problems).toEqual([]);
    expect(overallVerdict(goodBrowser, ready, n, problems)).toEqual({ verdict: "ready", message: expect.stringMatching(/ready/) });
  });

  it("blocks a network that video cannot cross, and warns about relaying and slowness", () => {
    expect(precheckProblems(goodBrowser, ready, net({ signalling: false })).map((p) => p.kind)).toEqual(["network-blocked"]);
    expect(precheckProblems(goodBrowser, ready, net({ path: "none" })).map((p) => p.kind)).toEqual(["network-blocked"]);
    expect(precheckProblems(goodBrowser, ready, net({ path: "relay", bandwidthKbps: 300 })).map((p) => p.kind)).toEqual(["network-relayed", "network-slow"]);
    const blocked = net({ path: "none" });
    expect(overallVerdict(goodBrowser, ready, blocked, precheckProblems(goodBrowser, ready, blocked)).verdict).toBe("blocked");
  });

  it("puts the result in plain words", () => {
    expect(networkWords(net({ signalling: false }), false)).toMatch(/could not reach the video service/);
    expect(networkWords(net({ path: "none" }), true)).toMatch(/cannot get through/);
    expect(networkWords(net({}), false)).toMatch(/reached the video service/);
    expect(networkWords(net({ path: "relay", bandwidthKbps: 2000 }), true)).toMatch(/relay.*fast enough for clear video/);
    expect(networkWords(net({ bandwidthKbps: 800, rttMs: 400 }), true)).toMatch(/good enough for video.*lag/);
  });

  it("points the SDK's test at this server's signalling endpoint", () => {
    const j = sameOriginJoin({ protocol: "https:", host: "visits.example.org" });
    expect(parseJoinResponse(j).signalingUrl).toBe("wss://visits.example.org/rtc");
    expect(parseJoinResponse(sameOriginJoin({ protocol: "http:", host: "127.0.0.1:8080" })).signalingUrl).toBe("ws://127.0.0.1:8080/rtc");
  });
});

describe("keepChoice", () => {
  const list = [
    { deviceId: "a", label: "A" },
    { deviceId: "b", label: "B" },
  ];
  it("keeps a device still present, else takes the first", () => {
    expect(keepChoice("b", list)).toBe("b");
    expect(keepChoice("gone", list)).toBe("a");
    expect(keepChoice("", [])).toBe("");
  });
});
