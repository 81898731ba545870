import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, Http, plainMessage, serverMessage } from "./http";

afterEach(() => vi.unstubAllGlobals());

describe("serverMessage", () => {
  it.each([
    [{ resourceType: "OperationOutcome", issue: [{ diagnostics: "bad date" }, { details: { text: "x" } }] }, "bad date; x"],
    [{ code: 409, message: "waiting to be admitted by the provider" }, "waiting to be admitted by the provider"],
    [{ error: "invalid_grant", error_description: "code expired" }, "code expired"],
    [null, ""],
  ])("%j", (body, want) => expect(serverMessage(body)).toBe(want));
});

describe("Http", () => {
  it("adds the bearer token and maps failures to plain-language errors", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ code: 410, message: "the visit has ended" }), { status: 410 }));
    vi.stubGlobal("fetch", fetchMock);
    const h = new Http(async () => "abc");
    const err = (await h.get("/v1/x").catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(410);
    expect(err.message).toBe(plainMessage(410, ""));
    expect(err.detail).toBe("the visit has ended");
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer abc");
  });

  it("reports an unreachable server with status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const err = (await new Http(async () => null).get("/x").catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/can't reach/);
  });
});
