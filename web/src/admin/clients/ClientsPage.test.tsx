import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Http } from "../../api/http";
import { AdminApi } from "../api";
import { ClientsPage } from "./ClientsPage";

afterEach(() => vi.unstubAllGlobals());

const web = { id: "housecall-web", name: "Housecall web app", scopes: "openid fhirUser", redirectUris: ["https://h.example/auth/callback"], grantTypes: ["authorization_code", "refresh_token"], public: true, permissions: ["first-party"], disabled: false, created: "2024-05-01T00:00:00Z" };

describe("ClientsPage", { timeout: 30_000 }, () => {
  it("creates a confidential client and shows its secret once, with a warning", async () => {
    const posted: unknown[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string, init?: RequestInit) => {
        if (init?.method === "POST" && url === "/v1/admin/clients") {
          const body = JSON.parse(init.body as string);
          posted.push(body);
          return new Response(JSON.stringify({ client: { ...body, id: "c-42", disabled: false, created: "2024-06-01T00:00:00Z", permissions: [] }, client_secret: "s3cr3t-value" }), { status: 201 });
        }
        return new Response(JSON.stringify({ clients: [web] }), { status: 200 });
      }),
    );
    render(<ClientsPage api={new AdminApi(new Http(async () => "tok"))} />);
    const user = userEvent.setup({ delay: null });

    const table = await screen.findByRole("table", { name: "API clients" });
    // The app this page runs in cannot be disabled from it.
    expect(within(table).getByRole("button", { name: "Disable Housecall web app" })).toHaveProperty("disabled", true);

    await user.click(screen.getByRole("button", { name: "Create client" }));
    const dialog = screen.getByRole("dialog", { name: "Create client" });
    await user.click(within(dialog).getByLabelText(/^Name/));
    await user.paste("Lab sync");
    await user.click(within(dialog).getByLabelText(/^Redirect URIs/));
    await user.paste("https://lab.example.org/cb");
    await user.click(within(dialog).getByLabelText(/^Scopes/));
    await user.paste("openid user/*.rs");
    await user.click(within(dialog).getByRole("button", { name: "Create client" }));

    const secret = await screen.findByRole("dialog", { name: "Client “Lab sync” created" });
    expect(posted).toEqual([
      { name: "Lab sync", scopes: "openid user/*.rs", redirectUris: ["https://lab.example.org/cb"], grantTypes: ["authorization_code", "refresh_token"], public: false },
    ]);
    expect(within(secret).getByText("Copy the secret now")).toBeTruthy();
    expect(within(secret).getByLabelText("Client secret")).toHaveProperty("value", "s3cr3t-value");
    expect(within(secret).getByLabelText("Client ID")).toHaveProperty("value", "c-42");
    const done = within(secret).getByRole("button", { name: "Done" });
    expect(done).toHaveProperty("disabled", true);

    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    await user.click(within(secret).getByRole("button", { name: "Copy secret" }));
    expect(writeText).toHaveBeenCalledWith("s3cr3t-value");

    await user.click(within(secret).getByLabelText("I have stored the secret"));
    await user.click(done);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(screen.queryByText("s3cr3t-value")).toBeNull();
    expect(within(screen.getByRole("table", { name: "API clients" })).getByText("Lab sync")).toBeTruthy();
  });
});
