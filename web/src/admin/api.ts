// The admin API (docs/admin.md, contract section 6): user accounts, OAuth
// clients and webhook endpoints. Only administrators may call it; every call
// is audited by the server. Answers are normalized here so that the screens
// never deal with missing arrays or a scope list in two shapes.
import type { Http } from "../api/http";

export type UserRole = "admin" | "practitioner" | "staff" | "patient";

export interface AdminUser {
  id: string;
  email: string;
  role: UserRole;
  /** "Practitioner/1", "Patient/7"; empty when the account has none. */
  fhirResource: string;
  name?: string;
  disabled: boolean;
  /** A second factor (TOTP) is set up. */
  totp: boolean;
  created: string;
}

export interface NewUser {
  email: string;
  role: UserRole;
  password: string;
  fhirResource?: string;
  name?: string;
}

export interface ApiClient {
  id: string;
  name: string;
  /** Space-separated scope string. */
  scopes: string;
  redirectUris: string[];
  grantTypes: string[];
  public: boolean;
  permissions: string[];
  disabled: boolean;
  created: string;
}

export interface NewClient {
  name: string;
  /** Space-separated scope string, as OAuth writes scopes. */
  scopes: string;
  redirectUris?: string[];
  grantTypes?: string[];
  public?: boolean;
  permissions?: string[];
}

export interface CreatedClient {
  client: ApiClient;
  /** Only for confidential clients, and only in this answer. */
  client_secret?: string;
}

export interface Webhook {
  id: string;
  /** With any password masked by the server. */
  url: string;
  description: string;
  /** Event types sent; empty means every type. */
  events: string[];
  created: string;
  hasSecret: boolean;
}

export interface NewWebhook {
  url: string;
  secret?: string;
  events?: string[];
  description?: string;
}

const BASE = "/v1/admin";
const enc = encodeURIComponent;

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === "string") return v.split(/\s+/).filter(Boolean);
  return [];
}

export function toUser(raw: any): AdminUser {
  return {
    id: String(raw?.id ?? ""),
    email: String(raw?.email ?? ""),
    role: raw?.role as UserRole,
    fhirResource: typeof raw?.fhirResource === "string" ? raw.fhirResource : "",
    name: typeof raw?.name === "string" && raw.name ? raw.name : undefined,
    disabled: Boolean(raw?.disabled),
    totp: Boolean(raw?.totp),
    created: String(raw?.created ?? ""),
  };
}

export function toClient(raw: any): ApiClient {
  return {
    id: String(raw?.id ?? ""),
    name: String(raw?.name ?? ""),
    scopes: list(raw?.scopes).join(" "),
    redirectUris: list(raw?.redirectUris),
    grantTypes: list(raw?.grantTypes),
    public: Boolean(raw?.public),
    permissions: list(raw?.permissions),
    disabled: Boolean(raw?.disabled),
    created: String(raw?.created ?? ""),
  };
}

export function toWebhook(raw: any): Webhook {
  return {
    id: String(raw?.id ?? ""),
    url: String(raw?.url ?? ""),
    description: typeof raw?.description === "string" ? raw.description : "",
    events: list(raw?.events),
    created: String(raw?.created ?? ""),
    hasSecret: Boolean(raw?.hasSecret),
  };
}

export class AdminApi {
  constructor(private readonly http: Http) {}

  async users(): Promise<AdminUser[]> {
    const r = await this.http.get<{ users?: unknown[] }>(`${BASE}/users`);
    return (r?.users ?? []).map(toUser);
  }

  async createUser(u: NewUser): Promise<AdminUser> {
    return toUser(await this.http.post(`${BASE}/users`, u));
  }

  async setUserDisabled(id: string, disabled: boolean): Promise<AdminUser> {
    return toUser(await this.http.post(`${BASE}/users/${enc(id)}/${disabled ? "disable" : "enable"}`));
  }

  async resetTotp(id: string): Promise<AdminUser> {
    return toUser(await this.http.post(`${BASE}/users/${enc(id)}/reset-totp`));
  }

  async clients(): Promise<ApiClient[]> {
    const r = await this.http.get<{ clients?: unknown[] }>(`${BASE}/clients`);
    return (r?.clients ?? []).map(toClient);
  }

  async createClient(c: NewClient): Promise<CreatedClient> {
    const r = await this.http.post<{ client?: unknown; client_secret?: string }>(`${BASE}/clients`, c);
    return { client: toClient(r?.client), client_secret: r?.client_secret || undefined };
  }

  async setClientDisabled(id: string, disabled: boolean): Promise<void> {
    await this.http.post(`${BASE}/clients/${enc(id)}/${disabled ? "disable" : "enable"}`);
  }

  async webhooks(): Promise<Webhook[]> {
    const r = await this.http.get<{ webhooks?: unknown[] }>(`${BASE}/webhooks`);
    return (r?.webhooks ?? []).map(toWebhook);
  }

  /** Adds an endpoint; the answer's body is not needed (list again to see it, password masked). */
  async createWebhook(w: NewWebhook): Promise<void> {
    await this.http.post(`${BASE}/webhooks`, w);
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.http.delete(`${BASE}/webhooks/${enc(id)}`);
  }

  /** Queues a "ping" delivery to the endpoint. */
  async testWebhook(id: string): Promise<void> {
    await this.http.post(`${BASE}/webhooks/${enc(id)}/test`);
  }
}
