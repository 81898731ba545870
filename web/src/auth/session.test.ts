import { afterEach, describe, expect, it, vi } from "vitest";
import { getSession, setSession, startEarlyInvite, startInviteSession } from "./session";

afterEach(() => {
  vi.unstubAllGlobals();
  setSession(null);
});

const answer = { access_token: "tok", token_type: "Bearer", expires_in: 3600, scope: "", encounterId: "e1", meetingId: "m1", role: "patient", name: "Ada", profile: "Patient/p1", waitingRoom: true, status: "planned", practitioners: [] };

describe("startEarlyInvite", () => {
  it("exchanges the link once: the visit screens get the early exchange", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(answer), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    startEarlyInvite({ pathname: "/visit", hash: "#invite=hci1.abc" });
    const s = await startInviteSession("hci1.abc");
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(s.invite.encounterId).toBe("e1");
    expect(getSession()?.kind).toBe("invite");
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/v1/telemed/invite/session");
    expect((init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it("ignores other pages and lets a failed exchange be tried again", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ code: 403, message: "withdrawn" }), { status: 403 }));
    vi.stubGlobal("fetch", fetchMock);
    startEarlyInvite({ pathname: "/board", hash: "#invite=hci1.x" });
    expect(fetchMock).not.toHaveBeenCalled();
    await expect(startInviteSession("hci1.y")).rejects.toMatchObject({ status: 403 });
    await expect(startInviteSession("hci1.y")).rejects.toMatchObject({ status: 403 });
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });
});
