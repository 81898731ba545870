import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderHook, waitFor } from "@testing-library/react";
import { ApiError } from "../api/http";
import { getSession, setSession } from "../auth/session";
import { inviteErrorMessage, LINK_EXPIRED, readInviteToken, resetInvitationForTests, useInvitation } from "./invitation";

const session = {
  access_token: "tok",
  token_type: "Bearer",
  expires_in: 3600,
  scope: "patient/Encounter.rus",
  encounterId: "e1",
  meetingId: "m1",
  role: "patient",
  name: "Ana López",
  profile: "Patient/1",
  patient: "1",
  waitingRoom: true,
  status: "planned",
  practitioners: [{ reference: "Practitioner/5", display: "Dr Lee" }],
};

function reply(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

describe("invitation errors", () => {
  it("maps each failure to a message with what to do next", () => {
    for (const s of [400, 401, 403, 404]) expect(inviteErrorMessage(new ApiError(s, "x")).text).toBe(LINK_EXPIRED);
    expect(LINK_EXPIRED).toBe("This link has expired or was withdrawn — ask your clinic for a new one");
    expect(inviteErrorMessage(new ApiError(403, "x")).retry).toBe(false);
    const ended = inviteErrorMessage(new ApiError(410, "x"));
    expect(ended).toMatchObject({ title: "This visit has ended", ended: true, retry: false });
    expect(inviteErrorMessage(new ApiError(429, "x"))).toMatchObject({ retry: true, text: expect.stringMatching(/Wait a minute/) });
    expect(inviteErrorMessage(new ApiError(0, "x"))).toMatchObject({ retry: true, title: "We can't reach Housecall" });
    expect(inviteErrorMessage(new ApiError(503, "x"))).toMatchObject({ retry: true, text: expect.stringMatching(/call your clinic/) });
    expect(inviteErrorMessage("missing").title).toBe("This page needs your visit link");
  });

  it("reads the token from the fragment", () => {
    expect(readInviteToken("#invite=abc.def")).toBe("abc.def");
    expect(readInviteToken("#x=1&invite=t")).toBe("t");
    expect(readInviteToken("")).toBe("");
  });
});

describe("useInvitation", () => {
  beforeEach(() => {
    resetInvitationForTests();
    setSession(null);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    window.history.replaceState(null, "", "/");
  });

  it("exchanges the link once, removes the token from the address bar and keeps the session", async () => {
    window.history.replaceState(null, "", "/visit#invite=secret-token");
    const fetchMock = vi.fn(async () => reply(200, session));
    vi.stubGlobal("fetch", fetchMock);
    const { result } = renderHook(() => useInvitation());
    expect(window.location.hash).toBe("");
    expect(window.location.pathname).toBe("/visit");
    await waitFor(() => expect(result.current.state).toBe("ready"));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/v1/telemed/invite/session");
    expect(JSON.parse(String(init.body))).toEqual({ invite: "secret-token" });
    expect(getSession()).toMatchObject({ kind: "invite", accessToken: "tok" });

    // A reload of the page (no token any more) continues with the kept session.
    const again = renderHook(() => useInvitation());
    await waitFor(() => expect(again.result.current.state).toBe("ready"));
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("says an expired or withdrawn link is expired, and offers no retry", async () => {
    window.history.replaceState(null, "", "/visit#invite=old");
    vi.stubGlobal("fetch", vi.fn(async () => reply(403, { code: 403, message: "invitation expired" })));
    const { result } = renderHook(() => useInvitation());
    await waitFor(() => expect(result.current.state).toBe("error"));
    const st = result.current;
    if (st.state !== "error") throw new Error("unreachable");
    expect(st.problem.text).toBe(LINK_EXPIRED);
    expect(st.problem.retry).toBe(false);
    expect(window.location.hash).toBe("");
  });

  it("retries after a network failure with the same token", async () => {
    window.history.replaceState(null, "", "/visit#invite=t2");
    const fetchMock = vi.fn().mockRejectedValueOnce(new TypeError("Failed to fetch")).mockResolvedValueOnce(reply(200, session));
    vi.stubGlobal("fetch", fetchMock);
    const { result } = renderHook(() => useInvitation());
    await waitFor(() => expect(result.current.state).toBe("error"));
    const st = result.current;
    if (st.state !== "error") throw new Error("unreachable");
    expect(st.problem.title).toBe("We can't reach Housecall");
    st.retry();
    await waitFor(() => expect(result.current.state).toBe("ready"));
    expect(JSON.parse(String((fetchMock.mock.calls[1] as any)[1].body))).toEqual({ invite: "t2" });
  });

  it("asks for the link when there is neither a token nor a session", async () => {
    window.history.replaceState(null, "", "/visit");
    const { result } = renderHook(() => useInvitation());
    await waitFor(() => expect(result.current.state).toBe("error"));
    if (result.current.state === "error") expect(result.current.problem.title).toBe("This page needs your visit link");
  });
});
