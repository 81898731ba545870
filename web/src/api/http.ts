// The one way the app talks to the server: JSON over fetch with the
// caller's bearer token, and errors turned into ApiError with a message a
// person can act on.

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** The server's own message (OperationOutcome diagnostics or {"message"}). */
  readonly detail: string;
  constructor(status: number, message: string, detail = "") {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

/** Returns the current access token (refreshing it if needed), or null. */
export type TokenSource = () => Promise<string | null>;

export interface RequestOptions {
  body?: unknown;
  /** Extra headers (e.g. If-Match, Prefer). */
  headers?: Record<string, string>;
  /** Content type of a JSON body; default application/json. */
  contentType?: string;
  signal?: AbortSignal;
}

/** The server's message from an error body: OperationOutcome or {"message"} or OAuth's error_description. */
export function serverMessage(body: unknown): string {
  if (!body || typeof body !== "object") return "";
  const b = body as Record<string, any>;
  if (b.resourceType === "OperationOutcome" && Array.isArray(b.issue)) {
    return b.issue
      .map((i: any) => i?.diagnostics || i?.details?.text || "")
      .filter(Boolean)
      .join("; ");
  }
  if (typeof b.message === "string") return b.message;
  if (typeof b.error_description === "string") return b.error_description;
  return "";
}

/** A plain-language sentence for a failed request, with what to do next. */
export function plainMessage(status: number, detail: string): string {
  switch (status) {
    case 0:
      return "We can't reach the Housecall server. Check your internet connection, then try again.";
    case 401:
      return "Your session has ended. Please sign in again.";
    case 403:
      return detail
        ? `You don't have permission to do this: ${detail}`
        : "You don't have permission to do this. Ask your clinic if you think this is wrong.";
    case 404:
      return "We couldn't find what you were looking for. It may have been removed, or the link is wrong.";
    case 409:
      return detail || "Someone else changed this at the same time. Reload and try again.";
    case 410:
      return "This visit has ended. You can close this page.";
    case 412:
      return "Someone else changed this at the same time. Reload and try again.";
    case 413:
      return "That is too large to send.";
    case 429:
      return "Too many attempts in a short time. Wait a minute, then try again.";
  }
  if (status >= 500) return "Something went wrong on the server. Try again in a moment; if it keeps happening, contact your clinic.";
  return detail ? `The server could not accept this: ${detail}` : "The server could not accept this request.";
}

export class Http {
  constructor(
    private readonly token: TokenSource,
    private readonly base = "",
  ) {}

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json, application/fhir+json", ...opts.headers };
    const tok = await this.token();
    if (tok) headers.Authorization = `Bearer ${tok}`;
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body, signal: opts.signal, credentials: "same-origin" });
    } catch (e) {
      if ((e as Error)?.name === "AbortError") throw e;
      throw new ApiError(0, plainMessage(0, ""));
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const detail = serverMessage(parsed);
      throw new ApiError(res.status, plainMessage(res.status, detail), detail);
    }
    return parsed as T;
  }

  get<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("GET", path, opts);
  }
  post<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>("POST", path, { ...opts, body });
  }
  put<T>(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request<T>("PUT", path, { ...opts, body });
  }
  delete<T>(path: string, opts?: RequestOptions) {
    return this.request<T>("DELETE", path, opts);
  }

  /** The bearer token, for callers that open their own connections (events, media). */
  accessToken(): Promise<string | null> {
    return this.token();
  }
}
