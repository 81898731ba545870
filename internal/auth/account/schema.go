package account

import "github.com/housecall/housecall/internal/store/opsql"

// component is the opsql migration component of this package.
const component = "account"

// Times are stored as Unix milliseconds and booleans as 0/1 integers so
// that the same statements work on both dialects.
var steps = []opsql.Step{
	{Version: 1, Name: "users",
		SQLite: `CREATE TABLE account_users (
	id             TEXT    PRIMARY KEY,
	email          TEXT    NOT NULL UNIQUE,
	role           TEXT    NOT NULL,
	fhir_resource  TEXT    NOT NULL DEFAULT '',
	password_hash  TEXT    NOT NULL DEFAULT '',
	totp_secret    TEXT    NOT NULL DEFAULT '',
	totp_pending   TEXT    NOT NULL DEFAULT '',
	totp_last_step INTEGER NOT NULL DEFAULT 0,
	recovery_codes TEXT    NOT NULL DEFAULT '[]',
	disabled       INTEGER NOT NULL DEFAULT 0,
	failed_logins  INTEGER NOT NULL DEFAULT 0,
	last_failure   INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE account_users (
	id             text    PRIMARY KEY,
	email          text    NOT NULL UNIQUE,
	role           text    NOT NULL,
	fhir_resource  text    NOT NULL DEFAULT '',
	password_hash  text    NOT NULL DEFAULT '',
	totp_secret    text    NOT NULL DEFAULT '',
	totp_pending   text    NOT NULL DEFAULT '',
	totp_last_step bigint  NOT NULL DEFAULT 0,
	recovery_codes text    NOT NULL DEFAULT '[]',
	disabled       integer NOT NULL DEFAULT 0,
	failed_logins  integer NOT NULL DEFAULT 0,
	last_failure   bigint  NOT NULL DEFAULT 0,
	created_at     bigint  NOT NULL,
	updated_at     bigint  NOT NULL
)`},
	{Version: 2, Name: "login codes",
		SQLite: `CREATE TABLE account_login_codes (
	user_id    TEXT    PRIMARY KEY,
	code_hash  TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL DEFAULT 0
)`,
		Postgres: `CREATE TABLE account_login_codes (
	user_id    text    PRIMARY KEY,
	code_hash  text    NOT NULL,
	expires_at bigint  NOT NULL,
	attempts   integer NOT NULL DEFAULT 0
)`},
	{Version: 3, Name: "clients",
		SQLite: `CREATE TABLE account_clients (
	id            TEXT    PRIMARY KEY,
	name          TEXT    NOT NULL,
	secret_hash   TEXT    NOT NULL DEFAULT '',
	jwks          TEXT    NOT NULL DEFAULT '',
	public        INTEGER NOT NULL DEFAULT 0,
	scopes        TEXT    NOT NULL DEFAULT '',
	redirect_uris TEXT    NOT NULL DEFAULT '[]',
	grant_types   TEXT    NOT NULL DEFAULT '[]',
	permissions   TEXT    NOT NULL DEFAULT '[]',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE account_clients (
	id            text    PRIMARY KEY,
	name          text    NOT NULL,
	secret_hash   text    NOT NULL DEFAULT '',
	jwks          text    NOT NULL DEFAULT '',
	public        integer NOT NULL DEFAULT 0,
	scopes        text    NOT NULL DEFAULT '',
	redirect_uris text    NOT NULL DEFAULT '[]',
	grant_types   text    NOT NULL DEFAULT '[]',
	permissions   text    NOT NULL DEFAULT '[]',
	disabled      integer NOT NULL DEFAULT 0,
	created_at    bigint  NOT NULL,
	updated_at    bigint  NOT NULL
)`},
	{Version: 4, Name: "assertion jti replay cache",
		SQLite: `CREATE TABLE account_jtis (
	client_id  TEXT    NOT NULL,
	jti        TEXT    NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (client_id, jti)
)`,
		Postgres: `CREATE TABLE account_jtis (
	client_id  text   NOT NULL,
	jti        text   NOT NULL,
	expires_at bigint NOT NULL,
	PRIMARY KEY (client_id, jti)
)`},
	{Version: 5, Name: "jti expiry index",
		SQLite:   `CREATE INDEX account_jtis_expires ON account_jtis (expires_at)`,
		Postgres: `CREATE INDEX account_jtis_expires ON account_jtis (expires_at)`},
	{Version: 6, Name: "signing keys",
		SQLite: `CREATE TABLE account_keys (
	id         INTEGER PRIMARY KEY,
	version    INTEGER NOT NULL,
	sealed     TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE account_keys (
	id         integer PRIMARY KEY,
	version    bigint  NOT NULL,
	sealed     text    NOT NULL,
	updated_at bigint  NOT NULL
)`},
}
