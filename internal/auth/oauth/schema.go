package oauth

import "github.com/housecall/housecall/internal/store/opsql"

// component is the opsql migration component of this package.
const component = "oauth"

// Every secret (session id, code, refresh token) is stored as its SHA-256:
// they are 256-bit random values, so a plain hash is enough to make a
// stolen table useless. Times are Unix milliseconds.
var steps = []opsql.Step{
	{Version: 1, Name: "sessions",
		SQLite: `CREATE TABLE oauth_sessions (
	id_hash    TEXT    PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	state      INTEGER NOT NULL,
	method     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE oauth_sessions (
	id_hash    text    PRIMARY KEY,
	user_id    text    NOT NULL,
	state      integer NOT NULL,
	method     text    NOT NULL,
	created_at bigint  NOT NULL,
	last_seen  bigint  NOT NULL,
	expires_at bigint  NOT NULL
)`},
	{Version: 2, Name: "authorization codes",
		SQLite: `CREATE TABLE oauth_codes (
	code_hash    TEXT    PRIMARY KEY,
	client_id    TEXT    NOT NULL,
	user_id      TEXT    NOT NULL,
	session_id   TEXT    NOT NULL,
	redirect_uri TEXT    NOT NULL,
	scope        TEXT    NOT NULL,
	challenge    TEXT    NOT NULL,
	nonce        TEXT    NOT NULL,
	patient      TEXT    NOT NULL,
	method       TEXT    NOT NULL,
	auth_time    INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	used         INTEGER NOT NULL DEFAULT 0,
	family       TEXT    NOT NULL DEFAULT '',
	access_jti   TEXT    NOT NULL DEFAULT '',
	access_exp   INTEGER NOT NULL DEFAULT 0
)`,
		Postgres: `CREATE TABLE oauth_codes (
	code_hash    text    PRIMARY KEY,
	client_id    text    NOT NULL,
	user_id      text    NOT NULL,
	session_id   text    NOT NULL,
	redirect_uri text    NOT NULL,
	scope        text    NOT NULL,
	challenge    text    NOT NULL,
	nonce        text    NOT NULL,
	patient      text    NOT NULL,
	method       text    NOT NULL,
	auth_time    bigint  NOT NULL,
	expires_at   bigint  NOT NULL,
	used         integer NOT NULL DEFAULT 0,
	family       text    NOT NULL DEFAULT '',
	access_jti   text    NOT NULL DEFAULT '',
	access_exp   bigint  NOT NULL DEFAULT 0
)`},
	{Version: 3, Name: "refresh tokens",
		SQLite: `CREATE TABLE oauth_refresh_tokens (
	token_hash TEXT    PRIMARY KEY,
	family     TEXT    NOT NULL,
	client_id  TEXT    NOT NULL,
	user_id    TEXT    NOT NULL,
	session_id TEXT    NOT NULL,
	scope      TEXT    NOT NULL,
	patient    TEXT    NOT NULL,
	auth_time  INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used       INTEGER NOT NULL DEFAULT 0,
	revoked    INTEGER NOT NULL DEFAULT 0,
	access_jti TEXT    NOT NULL,
	access_exp INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE oauth_refresh_tokens (
	token_hash text    PRIMARY KEY,
	family     text    NOT NULL,
	client_id  text    NOT NULL,
	user_id    text    NOT NULL,
	session_id text    NOT NULL,
	scope      text    NOT NULL,
	patient    text    NOT NULL,
	auth_time  bigint  NOT NULL,
	created_at bigint  NOT NULL,
	expires_at bigint  NOT NULL,
	used       integer NOT NULL DEFAULT 0,
	revoked    integer NOT NULL DEFAULT 0,
	access_jti text    NOT NULL,
	access_exp bigint  NOT NULL
)`},
	{Version: 4, Name: "refresh token family index",
		SQLite:   `CREATE INDEX oauth_refresh_family ON oauth_refresh_tokens (family)`,
		Postgres: `CREATE INDEX oauth_refresh_family ON oauth_refresh_tokens (family)`},
	{Version: 5, Name: "refresh token session index",
		SQLite:   `CREATE INDEX oauth_refresh_session ON oauth_refresh_tokens (session_id)`,
		Postgres: `CREATE INDEX oauth_refresh_session ON oauth_refresh_tokens (session_id)`},
	{Version: 6, Name: "revoked access tokens",
		SQLite: `CREATE TABLE oauth_revoked (
	jti        TEXT    PRIMARY KEY,
	expires_at INTEGER NOT NULL
)`,
		Postgres: `CREATE TABLE oauth_revoked (
	jti        text   PRIMARY KEY,
	expires_at bigint NOT NULL
)`},
}
