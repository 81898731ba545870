// Everything that can keep a person out of a video visit, in plain words
// with what to do next: camera or microphone blocked, missing or busy, a
// network that blocks video, an old browser, an expired link, a visit that
// has ended. Used by the pre-call check and by the call itself.
import { ApiError } from "../api/http";

export type ProblemKind =
  | "camera-denied"
  | "no-microphone"
  | "no-camera"
  | "no-device"
  | "device-busy"
  | "network-blocked"
  | "network-relayed"
  | "network-slow"
  | "unsupported-browser"
  | "insecure-page"
  | "server-unreachable"
  | "link-expired"
  | "not-admitted"
  | "visit-ended"
  | "room-full"
  | "removed"
  | "joined-elsewhere"
  | "connection-lost"
  | "screen-share"
  | "device-switch"
  | "chat-failed"
  | "moderation"
  | "unknown";

export interface Problem {
  kind: ProblemKind;
  title: string;
  text: string;
  /** What to do, one step a line. */
  steps: string[];
  /** Whether trying again can help (a retry button is offered). */
  retry: boolean;
  /** Serious problems stop the visit; the others are warnings. */
  severity: "error" | "warning";
}

type Browser = "chrome" | "edge" | "firefox" | "safari" | "ios" | "android" | "other";

export function browserOf(ua: string): Browser {
  if (/iPhone|iPad|iPod/.test(ua)) return "ios";
  if (/Android/.test(ua)) return "android";
  if (/Edg\//.test(ua)) return "edge";
  if (/Firefox\//.test(ua)) return "firefox";
  if (/Chrome\/|Chromium\//.test(ua)) return "chrome";
  if (/Safari\//.test(ua)) return "safari";
  return "other";
}

function userAgent(): string {
  return typeof navigator === "undefined" ? "" : navigator.userAgent;
}

/** How to allow the camera and microphone for this site in the browser at hand. */
export function allowCameraSteps(ua: string = userAgent()): string[] {
  switch (browserOf(ua)) {
    case "chrome":
    case "edge":
      return [
        "Click the camera icon or the settings icon at the left end of the address bar.",
        "Set Camera and Microphone to Allow.",
        "Reload the page.",
      ];
    case "firefox":
      return [
        "Click the crossed-out camera or microphone icon in the address bar.",
        "Clear the blocks next to Camera and Microphone.",
        "Reload the page and choose Allow when asked.",
      ];
    case "safari":
      return [
        "In the Safari menu, choose Settings for This Website.",
        "Set Camera and Microphone to Allow.",
        "Reload the page.",
      ];
    case "ios":
      return [
        "Tap the “aA” button in the address bar, then Website Settings.",
        "Set Camera and Microphone to Allow.",
        "Reload the page. If it still does not work, open the Settings app → Safari → Camera and Microphone, and choose Allow.",
      ];
    case "android":
      return [
        "Tap the icon at the left of the address bar, then Permissions.",
        "Turn on Camera and Microphone.",
        "Reload the page.",
      ];
    default:
      return ["Open this site's settings from the icon beside the address bar.", "Allow the camera and microphone.", "Reload the page."];
  }
}

const p = (kind: ProblemKind, title: string, text: string, steps: string[], retry: boolean, severity: Problem["severity"] = "error"): Problem => ({
  kind,
  title,
  text,
  steps,
  retry,
  severity,
});

export function problemOf(kind: ProblemKind, ua: string = userAgent()): Problem {
  switch (kind) {
    case "camera-denied":
      return p(kind, "Your camera and microphone are blocked", "The browser is not allowing this page to use your camera and microphone. To allow them:", allowCameraSteps(ua), true);
    case "no-microphone":
      return p(kind, "No microphone found", "We could not find a microphone. Without one, your provider cannot hear you.", [
        "Plug in a headset or turn on your Bluetooth headphones, then try again.",
        "Or open the visit link on a phone or tablet.",
      ], true);
    case "no-camera":
      return p(kind, "No camera found", "We could not find a camera. You can still join with sound only, or plug in a camera and try again.", [], true, "warning");
    case "no-device":
      return p(kind, "Camera or microphone not found", "We could not find your camera or microphone.", [
        "Check that they are plugged in and turned on, or choose other devices in the check before the visit.",
        "Then try again.",
      ], true);
    case "device-busy":
      return p(kind, "Your camera or microphone is in use", "Another app may be using your camera or microphone.", [
        "Close other apps that use the camera, such as other video calls.",
        "If you use an external camera, unplug it and plug it in again.",
        "Then try again.",
      ], true);
    case "network-blocked":
      return p(kind, "Video cannot get through this network", "Your device could not connect to the video service. A firewall or a weak connection may be blocking it.", [
        "Check that you are connected to the internet.",
        "Try another network, such as mobile data or a home Wi-Fi instead of a work network.",
        "Then try again.",
      ], true);
    case "network-relayed":
      return p(kind, "Your network limits video", "Your network blocks direct video, so the call will be relayed. The picture may be slightly lower in quality.", [], false, "warning");
    case "network-slow":
      return p(kind, "Your connection is slow", "The picture may be blurry or lag.", ["Close other apps or downloads.", "Move closer to your Wi-Fi router if you can."], false, "warning");
    case "unsupported-browser":
      return p(kind, "This browser cannot make video calls", "Your browser is missing what video visits need.", [
        "Open the visit link in a recent version of Chrome, Edge, Firefox or Safari.",
        "On an iPhone or iPad, use Safari.",
      ], false);
    case "insecure-page":
      return p(kind, "This page is not secure", "Browsers only allow the camera on secure pages.", ["Open the visit link exactly as you received it (it starts with https://)."], false);
    case "server-unreachable":
      return p(kind, "We can't reach Housecall", "Your device could not reach the Housecall server.", ["Check your internet connection.", "Then try again."], true);
    case "link-expired":
      return p(kind, "This visit link no longer works", "The link has expired or was withdrawn.", ["Ask your clinic to send you a new link."], false);
    case "not-admitted":
      return p(kind, "Your provider hasn't let you in yet", "Please wait in the waiting room until your provider admits you.", [], true, "warning");
    case "visit-ended":
      return p(kind, "This visit has ended", "The video visit is over. You can close this page.", [], false, "warning");
    case "room-full":
      return p(kind, "This visit is full", "The video visit already has the most people it can take.", ["Ask your provider to let you in, then try again."], true);
    case "removed":
      return p(kind, "You were removed from the visit", "The provider removed you from this video visit.", ["If you think this was a mistake, contact your clinic."], false);
    case "joined-elsewhere":
      return p(kind, "You joined from somewhere else", "You opened this visit in another window or on another device, so it continues there.", ["Close this page, or rejoin here to move the visit back."], true, "warning");
    case "connection-lost":
      return p(kind, "The connection was lost", "We could not reconnect you to the video visit.", ["Check your internet connection.", "Then rejoin the visit."], true);
    case "screen-share":
      return p(kind, "Screen sharing did not start", "Your screen was not shared.", ["If you want to share, choose a screen, window or tab, and allow it when the browser asks."], false, "warning");
    case "device-switch":
      return p(kind, "Could not switch the device", "The device you chose could not be opened. It may be unplugged or in use by another app.", ["Choose another device, or plug it in again."], false, "warning");
    case "chat-failed":
      return p(kind, "Your message was not sent", "The message could not be delivered.", ["Check your connection and send it again."], false, "warning");
    case "moderation":
      return p(kind, "That did not work", "The participant could not be muted. They may have just left or reconnected.", ["Try again in a moment."], false, "warning");
    case "unknown":
      return p(kind, "Something went wrong", "Please try again.", ["If it keeps happening, contact your clinic."], true);
  }
}

interface CodedError {
  code: string;
  cause?: unknown;
}

function isCoded(e: unknown): e is CodedError {
  return typeof e === "object" && e !== null && typeof (e as CodedError).code === "string";
}

function causeName(e: CodedError): string {
  return (e.cause as { name?: string } | undefined)?.name ?? "";
}

/**
 * Maps an error from joining or from the SDK (HousecallError codes, the
 * server's protocol codes, ApiError statuses) to a problem a person can act on.
 */
export function problemFromError(err: unknown, ua: string = userAgent()): Problem {
  if (err instanceof ApiError) {
    switch (err.status) {
      case 0:
        return problemOf("server-unreachable", ua);
      case 401:
      case 403:
        return problemOf("link-expired", ua);
      case 409:
        return problemOf("not-admitted", ua);
      case 410:
        return problemOf("visit-ended", ua);
      default:
        return { ...problemOf("unknown", ua), text: err.message };
    }
  }
  if (isCoded(err)) {
    switch (err.code) {
      case "media-denied":
        return problemOf("camera-denied", ua);
      case "media-unavailable": {
        const n = causeName(err);
        if (n === "NotFoundError" || n === "OverconstrainedError" || n === "DevicesNotFoundError") return problemOf("no-device", ua);
        return problemOf("device-busy", ua);
      }
      case "unsupported-browser":
        return problemOf("unsupported-browser", ua);
      case "no-microphone":
        return problemOf("no-microphone", ua);
      case "connect-timeout":
      case "ice-failed":
      case "signalling-failed":
        return problemOf("network-blocked", ua);
      case "unauthorized":
        return problemOf("link-expired", ua);
      case "room-closed":
        return problemOf("visit-ended", ua);
      case "room-full":
        return problemOf("room-full", ua);
      case "removed":
        return problemOf("removed", ua);
      case "replaced":
        return problemOf("joined-elsewhere", ua);
      case "timeout":
      case "resume-failed":
      case "reconnect-failed":
        return problemOf("connection-lost", ua);
      case "chat-failed":
      case "rate-limited":
        return problemOf("chat-failed", ua);
    }
  }
  return problemOf("unknown", ua);
}

/** The problem behind a room's "disconnected" reason (when it is not a normal end). */
export function problemFromDisconnect(reason: string, err: unknown, ua: string = userAgent()): Problem {
  if (isCoded(err) && err.code !== "timeout" && err.code !== "not-connected") return problemFromError(err, ua);
  if (reason === "replaced") return problemOf("joined-elsewhere", ua);
  if (reason === "unauthorized") return problemOf("link-expired", ua);
  return problemOf("connection-lost", ua);
}

/** Another way in when joining with camera and microphone failed: without the device that is the trouble. */
export function joinFallbacks(kind: ProblemKind, capture: { audio: boolean; video: boolean }): { label: string; capture: { audio: boolean; video: boolean } }[] {
  switch (kind) {
    case "camera-denied":
    case "device-busy":
    case "no-device":
      if (capture.video) return [{ label: "Join without camera", capture: { audio: capture.audio, video: false } }];
      if (capture.audio) return [{ label: "Join without camera and microphone", capture: { audio: false, video: false } }];
      return [];
    case "no-microphone":
      return capture.audio ? [{ label: "Join without microphone", capture: { audio: false, video: capture.video } }] : [];
    default:
      return [];
  }
}
