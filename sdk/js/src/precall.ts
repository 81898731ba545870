// Pre-call checks a patient runs before joining: is the browser able, are a
// camera and a microphone present and permitted, can media reach the
// server (directly over UDP, or through its TURN relay), and how fast and
// far away is it. Ends with a verdict in plain language. Also a live
// preview and an audio level meter for the device picker.

import { browserEnv, sleep, type Env } from "./env.js";
import { parseJoinResponse } from "./join.js";
import { audioConstraints, mediaError } from "./publisher.js";

export interface BrowserCheck {
  ok: boolean;
  webrtc: boolean;
  getUserMedia: boolean;
  vp8: boolean;
  opus: boolean;
  secureContext: boolean;
  userAgent: string;
}

export interface DeviceInfo {
  deviceId: string;
  label: string;
  groupId: string;
}

export interface DeviceCheck {
  ok: boolean;
  /** granted: both permitted; denied: refused; prompt: not asked (skipped); error: no device could be opened. */
  permission: "granted" | "denied" | "prompt" | "error";
  cameras: DeviceInfo[];
  microphones: DeviceInfo[];
  speakers: DeviceInfo[];
  error?: string;
}

export interface NetworkCheck {
  ok: boolean;
  /** Local addresses were gathered (WebRTC works on this machine). */
  host: boolean;
  /** The server's STUN answered over UDP (UDP leaves this network). */
  srflx: boolean;
  /** A relay was allocated on the server's TURN (media can be relayed). */
  relay: boolean;
  /** relay allocations by transport: udp, tcp, tls. */
  relayProtocols: string[];
  /** The signalling endpoint accepted a WebSocket. */
  signalling: boolean;
  /** Round-trip time to the server in ms (through TURN when measured there), -1 unknown. */
  rttMs: number;
  /** Throughput measured through the relay in kbit/s, -1 unknown. */
  bandwidthKbps: number;
  /** How media will travel: direct UDP, relayed, or not at all. */
  path: "udp" | "relay" | "none";
}

export type Verdict = "ready" | "warning" | "blocked";

export interface PreCallResult {
  browser: BrowserCheck;
  devices: DeviceCheck;
  network: NetworkCheck | null;
  verdict: Verdict;
  /** One sentence for the patient. */
  message: string;
  /** Further advice, one line each. */
  advice: string[];
}

export interface PreCallOptions {
  /** Ask for camera and microphone permission (default true). */
  requestPermission?: boolean;
  /** How long candidate gathering may take (default 5 s). */
  gatherTimeoutMs?: number;
  /** How long the relay throughput test runs (default 1.5 s; 0 skips it). */
  bandwidthTestMs?: number;
  /** Test seam. */
  env?: Partial<Env>;
}

/** Runs every check; joinResponse (optional) names the server to test against. */
export async function preCallCheck(joinResponse?: unknown, options: PreCallOptions = {}): Promise<PreCallResult> {
  const env: Env = { ...browserEnv(), ...options.env };
  const browser = checkBrowser();
  const devices = await checkDevices(env, options.requestPermission ?? true);
  let network: NetworkCheck | null = null;
  if (joinResponse !== undefined && browser.webrtc) {
    const info = parseJoinResponse(joinResponse);
    network = await checkNetwork(env, info.iceServers, info.signalingUrl, options);
  }
  return { browser, devices, network, ...verdict(browser, devices, network) };
}

export function checkBrowser(): BrowserCheck {
  const g = globalThis as unknown as Record<string, unknown> & {
    navigator?: Navigator;
    RTCRtpSender?: typeof RTCRtpSender;
    isSecureContext?: boolean;
  };
  const webrtc = typeof g.RTCPeerConnection === "function";
  const gum = typeof g.navigator?.mediaDevices?.getUserMedia === "function";
  const has = (kind: "audio" | "video", mime: string) =>
    !!g.RTCRtpSender?.getCapabilities?.(kind)?.codecs.some((c) => c.mimeType.toLowerCase() === mime);
  const vp8 = has("video", "video/vp8");
  const opus = has("audio", "audio/opus");
  const secureContext = g.isSecureContext !== false;
  return { ok: webrtc && gum && vp8 && opus && secureContext, webrtc, getUserMedia: gum, vp8, opus, secureContext, userAgent: g.navigator?.userAgent ?? "" };
}

export async function checkDevices(env: Env, ask: boolean): Promise<DeviceCheck> {
  const out: DeviceCheck = { ok: false, permission: "prompt", cameras: [], microphones: [], speakers: [] };
  if (ask) {
    try {
      const s = await env.getUserMedia({ audio: true, video: true });
      s.getTracks().forEach((t) => t.stop());
      out.permission = "granted";
    } catch (err) {
      const e = mediaError(err);
      out.permission = e.code === "media-denied" ? "denied" : "error";
      out.error = e.message;
    }
  }
  try {
    for (const d of await env.enumerateDevices()) {
      const info = { deviceId: d.deviceId, label: d.label, groupId: d.groupId };
      if (d.kind === "videoinput") out.cameras.push(info);
      else if (d.kind === "audioinput") out.microphones.push(info);
      else if (d.kind === "audiooutput") out.speakers.push(info);
    }
  } catch (err) {
    out.error ??= String(err);
  }
  out.ok = out.permission === "granted" && out.cameras.length > 0 && out.microphones.length > 0;
  return out;
}

interface Gathered {
  types: Set<string>;
  relayProtocols: Set<string>;
  firstSrflxMs: number;
}

/** Gathers candidates with the server's STUN/TURN on a throwaway connection. */
async function gather(env: Env, iceServers: RTCIceServer[], timeoutMs: number): Promise<Gathered> {
  const pc = new env.RTCPeerConnection({ iceServers });
  const out: Gathered = { types: new Set(), relayProtocols: new Set(), firstSrflxMs: -1 };
  const started = env.now();
  try {
    pc.createDataChannel("precall");
    const done = new Promise<void>((resolve) => {
      pc.onicecandidate = (ev) => {
        if (!ev.candidate) return resolve();
        const c = ev.candidate;
        const type = c.type ?? /typ (\w+)/.exec(c.candidate)?.[1] ?? "";
        out.types.add(type);
        if (type === "srflx" && out.firstSrflxMs < 0) out.firstSrflxMs = env.now() - started;
        if (type === "relay") {
          const rp = (c as RTCIceCandidate & { relayProtocol?: string }).relayProtocol ?? "";
          if (rp) out.relayProtocols.add(rp);
        }
      };
      pc.onicegatheringstatechange = () => {
        if (pc.iceGatheringState === "complete") resolve();
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([done, sleep(env, timeoutMs)]);
  } finally {
    pc.close();
  }
  return out;
}

/**
 * Connects two throwaway connections to each other through the server's
 * TURN relay only and measures the round trip and the throughput of a data
 * channel: the path the call's media would take when relayed.
 */
async function relayLoop(env: Env, iceServers: RTCIceServer[], ms: number, timeoutMs: number): Promise<{ rttMs: number; kbps: number } | null> {
  const a = new env.RTCPeerConnection({ iceServers, iceTransportPolicy: "relay" });
  const b = new env.RTCPeerConnection({ iceServers, iceTransportPolicy: "relay" });
  try {
    a.onicecandidate = (ev) => ev.candidate && void b.addIceCandidate(ev.candidate).catch(() => {});
    b.onicecandidate = (ev) => ev.candidate && void a.addIceCandidate(ev.candidate).catch(() => {});
    const dc = a.createDataChannel("probe", { ordered: false, maxRetransmits: 0 });
    const remote = new Promise<RTCDataChannel>((resolve) => (b.ondatachannel = (ev) => resolve(ev.channel)));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const opened = new Promise<void>((resolve) => (dc.onopen = () => resolve()));
    const ok = await Promise.race([opened.then(() => true), sleep(env, timeoutMs).then(() => false)]);
    if (!ok) return null;
    const rx = await remote;
    // Round trip: ping through a → TURN → b → TURN → a.
    rx.onmessage = (ev) => {
      if (typeof ev.data === "string") rx.send(ev.data);
    };
    const rtts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = env.now();
      const back = new Promise<void>((resolve) => (dc.onmessage = () => resolve()));
      dc.send("ping" + i);
      if (await Promise.race([back.then(() => true), sleep(env, 1_000).then(() => false)])) rtts.push(env.now() - t0);
    }
    // The relay's round trip is twice the path to the server.
    const rttMs = rtts.length ? Math.round(rtts.sort((x, y) => x - y)[Math.floor(rtts.length / 2)] / 2) : -1;
    let received = 0;
    rx.onmessage = (ev) => {
      received += typeof ev.data === "string" ? ev.data.length : (ev.data as ArrayBuffer).byteLength ?? 0;
    };
    const chunk = new Uint8Array(1100);
    const end = env.now() + ms;
    while (env.now() < end) {
      while (dc.bufferedAmount < 256 * 1024 && env.now() < end) dc.send(chunk);
      await sleep(env, 10);
    }
    await sleep(env, 200);
    return { rttMs, kbps: ms > 0 ? Math.round((received * 8) / ms) : -1 };
  } finally {
    a.close();
    b.close();
  }
}

function probeSignalling(env: Env, url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let ws: ReturnType<typeof openWS>;
    const finish = (ok: boolean) => {
      env.clearTimeout(timer);
      try {
        ws?.close(1000, "precall");
      } catch {
        /* closed */
      }
      resolve(ok);
    };
    const timer = env.setTimeout(() => finish(false), timeoutMs);
    const openWS = () => new env.WebSocket(url);
    try {
      ws = openWS();
    } catch {
      finish(false);
      return;
    }
    ws.onopen = () => finish(true);
    ws.onclose = () => finish(false);
    ws.onerror = () => {};
  });
}

export async function checkNetwork(env: Env, iceServers: RTCIceServer[], signalingUrl: string, o: PreCallOptions): Promise<NetworkCheck> {
  const timeout = o.gatherTimeoutMs ?? 5_000;
  const [g, signalling] = await Promise.all([gather(env, iceServers, timeout), probeSignalling(env, signalingUrl, timeout)]);
  const out: NetworkCheck = {
    ok: false,
    host: g.types.has("host"),
    srflx: g.types.has("srflx"),
    relay: g.types.has("relay"),
    relayProtocols: [...g.relayProtocols],
    signalling,
    rttMs: g.firstSrflxMs,
    bandwidthKbps: -1,
    path: "none",
  };
  if (out.relay && (o.bandwidthTestMs ?? 1_500) > 0) {
    try {
      const r = await relayLoop(env, iceServers, o.bandwidthTestMs ?? 1_500, timeout);
      if (r) {
        if (r.rttMs >= 0) out.rttMs = r.rttMs;
        out.bandwidthKbps = r.kbps;
      }
    } catch {
      /* reported as unknown */
    }
  }
  // UDP reaches the server when its STUN answered (srflx) or a relay was
  // allocated over UDP: browsers drop srflx candidates equal to a host
  // address, so a machine without NAT shows only the latter.
  const udp = out.srflx || g.relayProtocols.has("udp") || (out.host && iceServers.length === 0);
  out.path = udp ? "udp" : out.relay ? "relay" : "none";
  out.ok = signalling && out.path !== "none";
  return out;
}

/** Turns the checks into a verdict and plain-language advice. */
export function verdict(b: BrowserCheck, d: DeviceCheck, n: NetworkCheck | null): { verdict: Verdict; message: string; advice: string[] } {
  const advice: string[] = [];
  if (!b.secureContext) advice.push("Open the visit link over https.");
  if (!b.webrtc || !b.getUserMedia) advice.push("This browser cannot make video calls. Use a recent Chrome, Edge, Firefox or Safari.");
  else if (!b.vp8 || !b.opus) advice.push("This browser lacks the video or audio format the call uses. Update it, or use a recent Chrome, Edge, Firefox or Safari.");
  if (d.permission === "denied") advice.push("Camera and microphone are blocked. Allow them for this site in the browser's settings (the icon beside the address), then reload.");
  else if (d.permission === "error") advice.push("The camera or microphone could not be opened. Close other apps that may be using it, or plug it in again.");
  if (d.permission === "granted" && d.cameras.length === 0) advice.push("No camera was found. You can still join with audio only.");
  if (d.permission === "granted" && d.microphones.length === 0) advice.push("No microphone was found. Plug in a headset or use another device.");
  if (n) {
    if (!n.signalling) advice.push("The video service cannot be reached. Check your internet connection, or try another network.");
    if (n.path === "none") advice.push("Video cannot get through this network (a firewall may block it). Try another network, such as mobile data.");
    else if (n.path === "relay") advice.push("Your network blocks direct video; the call will be relayed, which can lower quality slightly.");
    if (n.rttMs > 300) advice.push("Your connection is slow to respond; the picture may lag. Move closer to your Wi-Fi router if you can.");
    if (n.bandwidthKbps >= 0 && n.bandwidthKbps < 500) advice.push("Your connection is slow; video may be blurry. Close other apps or downloads, or move closer to your Wi-Fi router.");
  }
  const blocked = !b.webrtc || !b.getUserMedia || !b.vp8 || !b.opus || !b.secureContext || d.microphones.length === 0 || d.permission === "denied" || (n !== null && (!n.signalling || n.path === "none"));
  if (blocked) return { verdict: "blocked", message: "Your device is not ready for the video visit yet.", advice };
  if (advice.length > 0 || !d.ok) {
    if (advice.length === 0) advice.push("Allow the camera and microphone when the browser asks.");
    return { verdict: "warning", message: "You can join the video visit, but something may affect it.", advice };
  }
  return { verdict: "ready", message: "Your browser, camera, microphone and connection are ready for the video visit.", advice };
}

/** A live camera preview for a device picker; stop() releases the camera. */
export async function startPreview(video: HTMLVideoElement, options: { deviceId?: string; env?: Partial<Env> } = {}): Promise<{ track: MediaStreamTrack; stop(): void }> {
  const env: Env = { ...browserEnv(), ...options.env };
  const c: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 } };
  if (options.deviceId) c.deviceId = { exact: options.deviceId };
  let stream: MediaStream;
  try {
    stream = await env.getUserMedia({ video: c });
  } catch (err) {
    throw mediaError(err);
  }
  const track = stream.getVideoTracks()[0];
  video.srcObject = stream;
  video.muted = true;
  video.playsInline = true;
  void video.play().catch(() => {});
  return {
    track,
    stop() {
      track.stop();
      if (video.srcObject === stream) video.srcObject = null;
    },
  };
}

/**
 * Measures a microphone's level with an AnalyserNode and calls onLevel
 * (0–1, RMS) about 20 times a second. Pass a track, or a deviceId to open
 * one. stop() ends the meter (and releases a microphone it opened).
 */
export async function createAudioLevelMeter(
  source: MediaStreamTrack | { deviceId?: string },
  onLevel: (level: number) => void,
  options: { env?: Partial<Env> } = {},
): Promise<{ stop(): void }> {
  const env: Env = { ...browserEnv(), ...options.env };
  let track: MediaStreamTrack;
  let owned = false;
  if ("kind" in source) track = source;
  else {
    try {
      track = (await env.getUserMedia({ audio: audioConstraints(source.deviceId) })).getAudioTracks()[0];
    } catch (err) {
      throw mediaError(err);
    }
    owned = true;
  }
  const AC = (globalThis as unknown as { AudioContext?: typeof AudioContext; webkitAudioContext?: typeof AudioContext }).AudioContext ??
    (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
  if (!AC) throw new Error("AudioContext is not available");
  const ctx = new AC();
  const src = ctx.createMediaStreamSource(env.newMediaStream([track]));
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  src.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    // RMS of speech sits around 0.05–0.3; scale so that speech reads 0.3–1.
    onLevel(Math.min(1, Math.sqrt(sum / buf.length) * 4));
  }, 50);
  void ctx.resume?.();
  return {
    stop() {
      clearInterval(timer);
      src.disconnect();
      void ctx.close();
      if (owned) track.stop();
    },
  };
}
