import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Http } from "../../api/http";
import { AdminApi } from "../api";
import { WebhooksPage } from "./WebhooksPage";

afterEach(() => vi.unstubAllGlobals());

const hook = { id: "w1", url: "https://bot:****@ehr.example.org/hook", description: "EHR", events: ["meeting.ended", "ping"], created: "2024-05-01T00:00:00Z", hasSecret: true };

describe("WebhooksPage", { timeout: 30_000 }, () => {
  it("lists endpoints, sends a test and deletes only after confirmation", async () => {
    const calls: string[] = [];
    let list = [hook];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        const m = init?.method ?? "GET";
        calls.push(`${m} ${url}`);
        if (m === "POST" && url === "/v1/admin/webhooks/w1/test") return new Response(null, { status: 202 });
        if (m === "DELETE" && url === "/v1/admin/webhooks/w1") {
          list = [];
          return new Response(null, { status: 204 });
        }
        return new Response(JSON.stringify({ webhooks: list }), { status: 200 });
      }),
    );
    render(<WebhooksPage api={new AdminApi(new Http(async () => "tok"))} />);
    const user = userEvent.setup({ delay: null });

    const table = await screen.findByRole("table", { name: "Webhooks" });
    const cells = within(within(table).getAllByRole("row")[1]).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(0, 2)).toEqual(["Visit ended, Test ping from “Send test”", "Yes"]);

    await user.click(screen.getByRole("button", { name: `Send test to ${hook.url}` }));
    expect(await screen.findByText(/A test event \(“ping”\) is on its way/)).toBeTruthy();
    expect(calls).toContain("POST /v1/admin/webhooks/w1/test");

    await user.click(screen.getByRole("button", { name: `Delete ${hook.url}` }));
    const dialog = screen.getByRole("dialog", { name: "Delete this webhook?" });
    expect(calls.some((c) => c.startsWith("DELETE"))).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete webhook" }));
    await waitFor(() => expect(screen.queryByRole("table", { name: "Webhooks" })).toBeNull());
    expect(calls).toContain("DELETE /v1/admin/webhooks/w1");
    expect(screen.getByText(/No webhooks yet/)).toBeTruthy();
  });

  it("validates the new endpoint before sending it", async () => {
    const fetchMock = vi.fn(async (_url: string, _init?: RequestInit) => new Response(JSON.stringify({ webhooks: [] }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    render(<WebhooksPage api={new AdminApi(new Http(async () => "tok"))} />);
    const user = userEvent.setup({ delay: null });
    await screen.findByText(/No webhooks yet/);
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    const dialog = screen.getByRole("dialog", { name: "Add webhook" });
    await user.click(within(dialog).getByLabelText(/^URL/));
    await user.paste("ehr.example.org");
    await user.click(within(dialog).getByLabelText("Only the events chosen below"));
    await user.click(within(dialog).getByRole("button", { name: "Add webhook" }));
    expect(within(dialog).getByText("Enter a full web address starting with https://.")).toBeTruthy();
    expect(within(dialog).getByText("Choose at least one event, or send all events.")).toBeTruthy();
    expect(fetchMock.mock.calls.filter(([, init]) => init?.method === "POST")).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText(/^URL/));
    await user.paste("https://ehr.example.org/hook");
    await user.click(within(dialog).getByLabelText(/Visit ended/));
    await user.click(within(dialog).getByRole("button", { name: "Add webhook" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const post = fetchMock.mock.calls.find(([, init]) => init?.method === "POST");
    expect(post?.[0]).toBe("/v1/admin/webhooks");
    expect(JSON.parse(post?.[1]?.body as string)).toEqual({ url: "https://ehr.example.org/hook", events: ["meeting.ended"] });
  });
});
