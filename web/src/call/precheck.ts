// The pre-call check's logic, apart from its screen: opening the camera and
// microphone once to learn what is there and allowed, the network test,
// and turning the SDK's checks into problems and plain sentences.
import { preCallCheck, verdict, type BrowserCheck, type DeviceCheck as DeviceResult, type JoinResponse, type NetworkCheck, type Verdict } from "@housecall/sdk";
import { labelDevices, type DeviceOption } from "./media";
import { problemOf, type Problem } from "./problems";

/** What the device probe found, in the SDK's shape plus why each device failed to open. */
export interface DeviceProbe extends DeviceResult {
  /** The error name when the camera alone could not be opened (NotFoundError, NotReadableError, …). */
  cameraError?: string;
  microphoneError?: string;
}

type ProbeDevices = Pick<MediaDevices, "getUserMedia" | "enumerateDevices">;

function errName(e: unknown): string {
  return (e as { name?: string } | null)?.name ?? "Error";
}

const denied = (n: string) => n === "NotAllowedError" || n === "SecurityError" || n === "PermissionDeniedError";

/**
 * Asks for the camera and microphone together (one prompt) and, when that
 * fails for a reason other than a refusal, each alone, so that a missing
 * camera does not hide a working microphone. Then lists the devices.
 */
export async function probeDevices(md: ProbeDevices | undefined): Promise<DeviceProbe> {
  const out: DeviceProbe = { ok: false, permission: "prompt", cameras: [], microphones: [], speakers: [] };
  if (!md || typeof md.getUserMedia !== "function") {
    out.permission = "error";
    out.error = "camera and microphone are not available in this browser";
    return out;
  }
  const open = async (c: MediaStreamConstraints) => (await md.getUserMedia(c)).getTracks().forEach((t) => t.stop());
  try {
    await open({ audio: true, video: true });
    out.permission = "granted";
  } catch (e) {
    const n = errName(e);
    out.error = n;
    if (denied(n)) out.permission = "denied";
    else {
      let any = false;
      for (const kind of ["audio", "video"] as const) {
        try {
          await open({ [kind]: true });
          any = true;
        } catch (e2) {
          const n2 = errName(e2);
          if (kind === "audio") out.microphoneError = n2;
          else out.cameraError = n2;
          if (denied(n2)) out.permission = "denied";
        }
      }
      if (out.permission !== "denied") out.permission = any ? "granted" : "error";
    }
  }
  try {
    const all = await md.enumerateDevices();
    const pick = (kind: MediaDeviceKind, noun: string) =>
      labelDevices(all.filter((d) => d.kind === kind), noun).map((d) => ({ ...d, groupId: all.find((x) => x.deviceId === d.deviceId)?.groupId ?? "" }));
    out.cameras = pick("videoinput", "Camera");
    out.microphones = pick("audioinput", "Microphone");
    out.speakers = pick("audiooutput", "Speaker");
  } catch {
    /* lists stay empty */
  }
  // A device that is listed but cannot be found when opened is gone.
  if (out.cameraError === "NotFoundError") out.cameras = [];
  if (out.microphoneError === "NotFoundError") out.microphones = [];
  out.ok = out.permission === "granted" && out.cameras.length > 0 && out.microphones.length > 0 && !out.cameraError && !out.microphoneError;
  return out;
}

const busy = (n?: string) => !!n && n !== "NotFoundError" && !denied(n);

/** The problems the checks found, the most serious first. */
export function precheckProblems(b: BrowserCheck, d: DeviceProbe | null, n: NetworkCheck | null, ua?: string): Problem[] {
  const out: Problem[] = [];
  if (!b.secureContext) out.push(problemOf("insecure-page", ua));
  else if (!b.webrtc || !b.getUserMedia || !b.vp8 || !b.opus) out.push(problemOf("unsupported-browser", ua));
  // Without getUserMedia there are no devices to talk about: the browser is the problem.
  if (d && b.getUserMedia && b.secureContext) {
    if (d.permission === "denied") out.push(problemOf("camera-denied", ua));
    else if (d.permission === "error" && (busy(d.microphoneError) || busy(d.cameraError) || busy(d.error))) out.push(problemOf("device-busy", ua));
    else {
      if (d.microphones.length === 0) out.push(problemOf("no-microphone", ua));
      else if (busy(d.microphoneError)) out.push(problemOf("device-busy", ua));
      if (d.cameras.length === 0) out.push(problemOf("no-camera", ua));
      else if (busy(d.cameraError) && !out.some((x) => x.kind === "device-busy")) out.push(problemOf("device-busy", ua));
    }
  }
  if (n) {
    if (!n.signalling || n.path === "none") out.push(problemOf("network-blocked", ua));
    else {
      if (n.path === "relay") out.push(problemOf("network-relayed", ua));
      if (n.rttMs > 300 || (n.bandwidthKbps >= 0 && n.bandwidthKbps < 500)) out.push(problemOf("network-slow", ua));
    }
  }
  return out.sort((x, y) => (x.severity === y.severity ? 0 : x.severity === "error" ? -1 : 1));
}

export interface Overall {
  verdict: Verdict;
  message: string;
}

/** The SDK's verdict, made stricter by what only the app sees (a busy device, a missing microphone alone). */
export function overallVerdict(b: BrowserCheck, d: DeviceProbe, n: NetworkCheck | null, problems: Problem[]): Overall {
  const v = verdict(b, d, n);
  if (problems.some((p) => p.severity === "error")) return { verdict: "blocked", message: v.verdict === "blocked" ? v.message : "Your device is not ready for the video visit yet." };
  if (problems.length > 0 && v.verdict === "ready") return { verdict: "warning", message: "You can join the video visit, but something may affect it." };
  return { verdict: v.verdict, message: v.message };
}

/**
 * A join-answer stand-in that points the SDK's network test at this
 * server's signalling endpoint. Before a provider admits them, patients
 * and guests cannot fetch a join answer (409), so this test checks that
 * the video service is reachable and WebRTC works here, without the TURN
 * relay measurements a real join answer allows.
 */
export function sameOriginJoin(loc: Pick<Location, "protocol" | "host"> = window.location): JoinResponse {
  const ws = loc.protocol === "https:" ? "wss:" : "ws:";
  return {
    Meeting: { MeetingId: "precall", MediaPlacement: { SignalingUrl: `${ws}//${loc.host}/rtc`, IceServers: [] } },
    Attendee: { JoinToken: "precall" },
  };
}

/** Runs the SDK's network test (devices are checked separately). */
export async function checkNetwork(join: JoinResponse): Promise<NetworkCheck | null> {
  const r = await preCallCheck(join, { requestPermission: false });
  return r.network;
}

/** The network result in plain words. full: measured with a real join answer (STUN/TURN). */
export function networkWords(n: NetworkCheck, full: boolean): string {
  if (!n.signalling) return "We could not reach the video service from this network.";
  if (n.path === "none") return "Video cannot get through this network.";
  const parts: string[] = [];
  if (!full) parts.push("We reached the video service, and your browser can send video from this network.");
  else if (n.path === "relay") parts.push("Video will reach your provider through our relay, because your network blocks direct video.");
  else parts.push("Video can travel directly between you and the video service.");
  if (n.bandwidthKbps >= 1500) parts.push("Your connection is fast enough for clear video.");
  else if (n.bandwidthKbps >= 500) parts.push("Your connection is good enough for video.");
  else if (n.bandwidthKbps >= 0) parts.push("Your connection is slow, so video may be blurry.");
  if (full && n.rttMs > 300) parts.push("It is slow to respond, so the picture may lag.");
  return parts.join(" ");
}

/** Keeps a chosen device if it is still there, else the first one ("" when none). */
export function keepChoice(current: string, list: DeviceOption[]): string {
  if (current && list.some((d) => d.deviceId === current)) return current;
  return list[0]?.deviceId ?? "";
}
