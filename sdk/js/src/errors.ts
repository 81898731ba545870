// Errors the SDK reports. `code` is what apps branch on: the server's
// protocol codes (unauthorized, room-full, removed, …) plus the SDK's own.

/** Codes of errors raised by the SDK itself (server codes pass through). */
export type ClientErrorCode =
  | "invalid-join-response"
  | "unsupported-browser"
  | "media-denied"
  | "media-unavailable"
  | "signalling-failed"
  | "ice-failed"
  | "connect-timeout"
  | "not-connected"
  | "protocol"
  | "timeout";

export class HousecallError extends Error {
  /** A server protocol code (signal.Code) or a ClientErrorCode. */
  readonly code: string;
  override readonly cause?: unknown;

  constructor(code: string, message: string, cause?: unknown) {
    super(message);
    this.name = "HousecallError";
    this.code = code;
    this.cause = cause;
  }
}
