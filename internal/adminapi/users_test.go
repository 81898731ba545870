package adminapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/housecall/housecall/internal/auth"
	"github.com/housecall/housecall/internal/auth/account"
)

func TestUsersAndClients(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			w := openWorld(t, open(t))
			ctx := t.Context()
			w.seed("Practitioner/drX", `{"resourceType":"Practitioner","id":"drX","name":[{"given":["Xavier"],"family":"Ng","prefix":["Dr"]}]}`)
			w.seed("Patient/pA", `{"resourceType":"Patient","id":"pA","name":[{"text":"Ann Able"}]}`)
			w.user("admin", account.NewUser{Email: "admin@t.test", Role: auth.RoleAdmin, Password: adminPassword}, "user/*.cruds")
			w.user("doc", account.NewUser{Email: "x@t.test", Role: auth.RolePractitioner, FHIRResource: "Practitioner/drX",
				Password: "practitioner-x-pass"}, "user/*.cruds")
			w.user("pat", account.NewUser{Email: "a@t.test", Role: auth.RolePatient, FHIRResource: "Patient/pA"}, "patient/*.cruds")

			// Who may call it.
			for _, who := range []string{"", "doc", "pat", "not-a-token"} {
				want := http.StatusForbidden
				if who == "" || who == "not-a-token" {
					want = http.StatusUnauthorized
				}
				// (A refused token is answered by the bearer check itself.)
				if st, out := w.call(who, "GET", "/v1/admin/users", nil); st != want || (who != "not-a-token" && out["code"] != float64(want)) {
					t.Fatalf("GET users as %q: %d %v", who, st, out)
				}
			}
			if st, _ := w.call("doc", "POST", "/v1/admin/users/"+w.ids["pat"]+"/disable", nil); st != http.StatusForbidden {
				t.Fatalf("a practitioner disabled a user: %d", st)
			}

			// The list, with names from the FHIR resources.
			st, out := w.call("admin", "GET", "/v1/admin/users", nil)
			users := byEmail(out["users"])
			if st != 200 || len(users) != 3 || users["x@t.test"]["name"] != "Xavier Ng" || users["a@t.test"]["name"] != "Ann Able" ||
				users["x@t.test"]["fhirResource"] != "Practitioner/drX" || users["admin@t.test"]["role"] != "admin" ||
				users["x@t.test"]["disabled"] != false || users["x@t.test"]["totp"] != false || users["x@t.test"]["created"] == "" {
				t.Fatalf("users: %d %v", st, out)
			}

			// A practitioner without a resource: the Practitioner is created.
			const pw = "a-long-enough-password-1"
			st, out = w.call("admin", "POST", "/v1/admin/users", map[string]any{"email": "Ada@T.test", "role": "practitioner",
				"password": pw, "name": " Ada  King Lovelace "})
			ref, _ := out["fhirResource"].(string)
			if st != http.StatusCreated || out["email"] != "ada@t.test" || !strings.HasPrefix(ref, "Practitioner/") || out["name"] != "Ada King Lovelace" {
				t.Fatalf("create practitioner: %d %v", st, out)
			}
			prac := w.read(ref)
			names, _ := prac["name"].([]any)
			n0, _ := names[0].(map[string]any)
			if len(names) != 1 || n0["text"] != "Ada King Lovelace" || n0["family"] != "Lovelace" || !strings.Contains(mustJSON(prac), `"value":"ada@t.test"`) {
				t.Fatalf("created Practitioner %v", prac)
			}
			if u, err := w.a.Accounts.UserByEmail(ctx, "ada@t.test"); err != nil || u.FHIRResource != ref {
				t.Fatalf("account %v, %v", u, err)
			}
			// A patient signs in with codes: no password needed.
			st, out = w.call("admin", "POST", "/v1/admin/users", map[string]any{"email": "bo@t.test", "role": "patient", "name": "Bo"})
			if pref, _ := out["fhirResource"].(string); st != http.StatusCreated || !strings.HasPrefix(pref, "Patient/") || w.read(pref)["resourceType"] != "Patient" {
				t.Fatalf("create patient: %d %v", st, out)
			}
			// Linked to an existing resource.
			w.seed("Practitioner/drZ", `{"resourceType":"Practitioner","id":"drZ","name":[{"text":"Zed Zane"}]}`)
			st, out = w.call("admin", "POST", "/v1/admin/users", map[string]any{"email": "z@t.test", "role": "practitioner",
				"password": pw, "fhirResource": "Practitioner/drZ"})
			if st != http.StatusCreated || out["fhirResource"] != "Practitioner/drZ" || out["name"] != "Zed Zane" {
				t.Fatalf("create linked: %d %v", st, out)
			}
			// Staff: no resource is made, the name has nowhere to go.
			st, out = w.call("admin", "POST", "/v1/admin/users", map[string]any{"email": "s@t.test", "role": "staff", "password": pw, "name": "Sam"})
			if st != http.StatusCreated || out["fhirResource"] != "" || out["name"] != nil {
				t.Fatalf("create staff: %d %v", st, out)
			}

			before := w.count("Practitioner")
			for _, tc := range []struct {
				name   string
				body   any
				status int
				msg    string
			}{
				{"no name, no resource", map[string]any{"email": "n@t.test", "role": "practitioner", "password": pw}, 400, "name is required"},
				{"taken address", map[string]any{"email": "X@t.test", "role": "practitioner", "password": pw, "name": "Dup"}, 409, "exists"},
				{"weak password", map[string]any{"email": "w@t.test", "role": "staff", "password": "password1234"}, 400, "password"},
				{"short password", map[string]any{"email": "w@t.test", "role": "practitioner", "password": "short", "name": "Weak"}, 400, "shorter than 12"},
				{"no password", map[string]any{"email": "w@t.test", "role": "admin"}, 400, "password is required"},
				{"bad role", map[string]any{"email": "w@t.test", "role": "root", "password": pw}, 400, "role"},
				{"bad address", map[string]any{"email": "nope", "role": "staff", "password": pw}, 400, "e-mail"},
				{"missing resource", map[string]any{"email": "w@t.test", "role": "practitioner", "password": pw, "fhirResource": "Practitioner/ghost"}, 400, "does not exist"},
				{"wrong resource type", map[string]any{"email": "w@t.test", "role": "practitioner", "password": pw, "fhirResource": "Patient/pA"}, 400, "cannot be linked"},
				{"unknown field", map[string]any{"email": "w@t.test", "role": "staff", "password": pw, "isAdmin": true}, 400, "isAdmin"},
				{"not JSON", `{"email":`, 400, "JSON"},
			} {
				st, out := w.call("admin", "POST", "/v1/admin/users", tc.body)
				if msg, _ := out["message"].(string); st != tc.status || !strings.Contains(msg, tc.msg) {
					t.Errorf("%s: %d %v, want %d %q", tc.name, st, out, tc.status, tc.msg)
				}
			}
			if after := w.count("Practitioner"); after != before {
				t.Fatalf("refused requests created Practitioners: %d -> %d", before, after)
			}

			// Disable and enable (the account package and the authorization
			// server turn the flag into refused sign-ins and tokens).
			docID := w.ids["doc"]
			isDisabled := func() bool {
				u, err := w.a.Accounts.UserByID(ctx, docID)
				if err != nil {
					t.Fatal(err)
				}
				return u.Disabled
			}
			st, out = w.call("admin", "POST", "/v1/admin/users/"+docID+"/disable", nil)
			if st != 200 || out["disabled"] != true || out["id"] != docID || !isDisabled() {
				t.Fatalf("disable: %d %v", st, out)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/users/"+docID+"/enable", nil); st != 200 || out["disabled"] != false || isDisabled() {
				t.Fatalf("enable: %d %v", st, out)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/users/"+w.ids["admin"]+"/disable", nil); st != http.StatusConflict {
				t.Fatalf("disable self: %d %v", st, out)
			}
			if st, _ = w.call("admin", "POST", "/v1/admin/users/nobody/disable", nil); st != http.StatusNotFound {
				t.Fatalf("unknown user: %d", st)
			}

			// Reset a lost second factor.
			secret, _, err := w.a.Accounts.EnrollTOTP(ctx, docID)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := totp.GenerateCode(secret, time.Now())
			if _, _, err := w.a.Accounts.ConfirmTOTP(ctx, docID, code); err != nil {
				t.Fatal(err)
			}
			if _, out = w.call("admin", "GET", "/v1/admin/users", nil); byEmail(out["users"])["x@t.test"]["totp"] != true {
				t.Fatalf("totp not shown: %v", out)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/users/"+docID+"/reset-totp", nil); st != 200 || out["totp"] != false {
				t.Fatalf("reset-totp: %d %v", st, out)
			}

			// Clients.
			st, out = w.call("admin", "POST", "/v1/admin/clients", map[string]any{"name": "Lab sync", "scopes": "system/Observation.cruds"})
			client, _ := out["client"].(map[string]any)
			secretOut, _ := out["client_secret"].(string)
			cid, _ := client["id"].(string)
			if st != http.StatusCreated || len(secretOut) < 32 || client["public"] != false || client["scopes"] != "system/Observation.cruds" {
				t.Fatalf("create client: %d %v", st, out)
			}
			if _, err := w.a.Accounts.AuthenticateClient(ctx, cid, secretOut); err != nil {
				t.Fatalf("the returned secret does not authenticate: %v", err)
			}
			st, out = w.call("admin", "POST", "/v1/admin/clients", map[string]any{"name": "Portal", "scopes": "patient/*.rs openid",
				"public": true, "redirectUris": []string{"https://portal.example/cb"}, "permissions": []string{"telemed:anonymous-join"}})
			if st != http.StatusCreated || out["client_secret"] != nil {
				t.Fatalf("create public client: %d %v", st, out)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/clients", map[string]any{"name": "x", "scopes": "patient/*.rs"}); st != 400 {
				t.Fatalf("client without a grant: %d %v", st, out)
			}
			st, out = w.call("admin", "GET", "/v1/admin/clients", nil)
			if list, _ := out["clients"].([]any); st != 200 || len(list) != 3 || strings.Contains(mustJSON(out), secretOut) {
				t.Fatalf("clients (the web app's, and two): %d %v", st, out)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/clients/"+cid+"/disable", nil); st != 200 || out["disabled"] != true {
				t.Fatalf("disable client: %d %v", st, out)
			}
			if c, err := w.a.Accounts.ClientByID(ctx, cid); err != nil || !c.Disabled {
				t.Fatalf("client after disable: %+v, %v", c, err)
			}
			if st, out = w.call("admin", "POST", "/v1/admin/clients/"+cid+"/enable", nil); st != 200 || out["disabled"] != false {
				t.Fatalf("enable client: %d %v", st, out)
			}
			if st, _ = w.call("admin", "POST", "/v1/admin/clients/nope/enable", nil); st != http.StatusNotFound {
				t.Fatalf("unknown client: %d", st)
			}

			// The audit trail: every call by an authenticated caller, refused
			// ones included; no password anywhere.
			events := w.adminEvents()
			var created, denied, disabled int
			for _, ev := range events {
				desc, _ := ev["outcomeDesc"].(string)
				switch {
				case strings.HasPrefix(desc, "admin: create user ") && ev["outcome"] == "0" && ev["action"] == "C":
					created++
				case strings.Contains(desc, "only administrators") && ev["outcome"] == "4":
					denied++
				case desc == "admin: disable user "+docID && strings.Contains(mustJSON(ev), `"reference":"Practitioner/drX"`):
					disabled++
				}
			}
			if created != 4 || denied != 3 || disabled != 1 {
				t.Fatalf("audit: %d creations, %d refusals, %d disables in %d events", created, denied, disabled, len(events))
			}
			all := mustJSON(events) + w.log.String()
			if strings.Contains(all, pw) || strings.Contains(all, "password1234") || strings.Contains(all, "practitioner-x-pass") {
				t.Fatal("a password reached the audit trail or the log")
			}
		})
	}
}

func byEmail(v any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := v.([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		e, _ := m["email"].(string)
		out[e] = m
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
