package oauth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/housecall/housecall/internal/store/opsql"
)

// errNotFound is the internal "no such row".
var errNotFound = errors.New("oauth: not found")

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newSecret returns 256 random bits, base64url.
func newSecret(r io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("oauth: randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// Session states.
const (
	stateFull         = 1 // signed in
	statePendingTOTP  = 2 // first factor done, authenticator code expected
	statePendingSetup = 3 // first factor done, second factor must be set up
)

// pendingTTL bounds a half-finished sign-in.
const pendingTTL = 10 * time.Minute

type session struct {
	idHash   string
	userID   string
	state    int
	method   string // how the user signed in, for audit and amr
	created  time.Time
	lastSeen time.Time
	expires  time.Time // absolute limit
}

// createSession stores a new session and returns the cookie value.
func (s *Server) createSession(ctx context.Context, userID string, state int, method string) (string, *session, error) {
	plain, err := newSecret(s.rand)
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	exp := now.Add(s.sessionMax)
	if state != stateFull {
		exp = now.Add(pendingTTL)
	}
	sess := &session{idHash: hashSecret(plain), userID: userID, state: state, method: method, created: now, lastSeen: now, expires: exp}
	_, err = s.db.Exec(ctx, `INSERT INTO oauth_sessions (id_hash, user_id, state, method, created_at, last_seen, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, sess.idHash, userID, state, method, ms(now), ms(now), ms(exp))
	if err != nil {
		return "", nil, fmt.Errorf("oauth: creating session: %w", err)
	}
	return plain, sess, nil
}

// sessionByID returns a live session by its hash, or errNotFound when it
// does not exist or has passed its idle or absolute limit.
func (s *Server) sessionByID(ctx context.Context, idHash string) (*session, error) {
	var (
		sess                 session
		created, seen, until int64
	)
	err := s.db.QueryRow(ctx, `SELECT id_hash, user_id, state, method, created_at, last_seen, expires_at FROM oauth_sessions WHERE id_hash = ?`,
		idHash).Scan(&sess.idHash, &sess.userID, &sess.state, &sess.method, &created, &seen, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading session: %w", err)
	}
	sess.created, sess.lastSeen, sess.expires = fromMS(created), fromMS(seen), fromMS(until)
	now := s.now()
	if !now.Before(sess.expires) || !now.Before(sess.lastSeen.Add(s.sessionIdle)) {
		return nil, errNotFound
	}
	return &sess, nil
}

// touchSession extends the idle limit, writing at most once a minute.
func (s *Server) touchSession(ctx context.Context, sess *session) {
	now := s.now()
	if now.Sub(sess.lastSeen) < time.Minute {
		return
	}
	if _, err := s.db.Exec(ctx, `UPDATE oauth_sessions SET last_seen = ? WHERE id_hash = ?`, ms(now), sess.idHash); err != nil {
		s.log.WarnContext(ctx, "oauth: session touch failed", "err", err)
	}
	sess.lastSeen = now
}

// endSession deletes a session and revokes the online_access refresh
// tokens bound to it.
func (s *Server) endSession(ctx context.Context, idHash string) error {
	return s.db.InTx(ctx, func(tx *opsql.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oauth_sessions WHERE id_hash = ?`, idHash); err != nil {
			return err
		}
		fams, err := queryStrings(ctx, tx, `SELECT DISTINCT family FROM oauth_refresh_tokens WHERE session_id = ? AND revoked = 0`, idHash)
		if err != nil {
			return err
		}
		for _, f := range fams {
			if err := s.revokeFamilyTx(ctx, tx, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func queryStrings(ctx context.Context, tx *opsql.Tx, q string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// codeRow is a stored authorization code.
type codeRow struct {
	hash, clientID, userID, sessionID, redirectURI, scope, challenge, nonce, patient, method string
	authTime, expires                                                                        time.Time
	used                                                                                     bool
	family, accessJTI                                                                        string
	accessExp                                                                                time.Time
}

func (s *Server) insertCode(ctx context.Context, c codeRow) error {
	_, err := s.db.Exec(ctx, `INSERT INTO oauth_codes (code_hash, client_id, user_id, session_id, redirect_uri, scope, challenge,
nonce, patient, method, auth_time, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.hash, c.clientID, c.userID, c.sessionID, c.redirectURI, c.scope, c.challenge, c.nonce, c.patient, c.method,
		ms(c.authTime), ms(c.expires))
	if err != nil {
		return fmt.Errorf("oauth: storing code: %w", err)
	}
	return nil
}

func codeByHashTx(ctx context.Context, tx *opsql.Tx, hash string) (*codeRow, error) {
	var (
		c                   codeRow
		authTime, exp, aexp int64
		used                int
	)
	err := tx.QueryRow(ctx, `SELECT code_hash, client_id, user_id, session_id, redirect_uri, scope, challenge, nonce, patient, method,
auth_time, expires_at, used, family, access_jti, access_exp FROM oauth_codes WHERE code_hash = ?`+tx.ForUpdate(), hash).Scan(
		&c.hash, &c.clientID, &c.userID, &c.sessionID, &c.redirectURI, &c.scope, &c.challenge, &c.nonce, &c.patient, &c.method,
		&authTime, &exp, &used, &c.family, &c.accessJTI, &aexp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading code: %w", err)
	}
	c.authTime, c.expires, c.accessExp, c.used = fromMS(authTime), fromMS(exp), fromMS(aexp), used != 0
	return &c, nil
}

func markCodeUsedTx(ctx context.Context, tx *opsql.Tx, hash, family, jti string, exp time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE oauth_codes SET used = 1, family = ?, access_jti = ?, access_exp = ? WHERE code_hash = ?`,
		family, jti, ms(exp), hash)
	return err
}

// refreshRow is a stored refresh token. Tokens issued from one
// authorization share a family; every use marks the row used and adds a
// new row to the family.
type refreshRow struct {
	hash, family, clientID, userID, sessionID, scope, patient string
	authTime, created, expires                                time.Time
	used, revoked                                             bool
	accessJTI                                                 string
	accessExp                                                 time.Time
}

func insertRefreshTx(ctx context.Context, tx *opsql.Tx, r refreshRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth_refresh_tokens (token_hash, family, client_id, user_id, session_id, scope, patient,
auth_time, created_at, expires_at, access_jti, access_exp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.hash, r.family, r.clientID, r.userID, r.sessionID, r.scope, r.patient, ms(r.authTime), ms(r.created), ms(r.expires),
		r.accessJTI, ms(r.accessExp))
	if err != nil {
		return fmt.Errorf("oauth: storing refresh token: %w", err)
	}
	return nil
}

const refreshCols = `token_hash, family, client_id, user_id, session_id, scope, patient, auth_time, created_at, expires_at,
used, revoked, access_jti, access_exp`

func scanRefresh(row interface{ Scan(...any) error }) (*refreshRow, error) {
	var (
		r                            refreshRow
		authTime, created, exp, aexp int64
		used, revoked                int
	)
	err := row.Scan(&r.hash, &r.family, &r.clientID, &r.userID, &r.sessionID, &r.scope, &r.patient, &authTime, &created, &exp,
		&used, &revoked, &r.accessJTI, &aexp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: reading refresh token: %w", err)
	}
	r.authTime, r.created, r.expires, r.accessExp = fromMS(authTime), fromMS(created), fromMS(exp), fromMS(aexp)
	r.used, r.revoked = used != 0, revoked != 0
	return &r, nil
}

func refreshByHashTx(ctx context.Context, tx *opsql.Tx, hash string) (*refreshRow, error) {
	return scanRefresh(tx.QueryRow(ctx, `SELECT `+refreshCols+` FROM oauth_refresh_tokens WHERE token_hash = ?`+tx.ForUpdate(), hash))
}

func (s *Server) refreshByHash(ctx context.Context, hash string) (*refreshRow, error) {
	return scanRefresh(s.db.QueryRow(ctx, `SELECT `+refreshCols+` FROM oauth_refresh_tokens WHERE token_hash = ?`, hash))
}

// revokeFamilyTx revokes every refresh token of a family and every access
// token issued with them, plus the extra access tokens given.
func (s *Server) revokeFamilyTx(ctx context.Context, tx *opsql.Tx, family string, extra ...revokedJTI) error {
	jtis := extra
	if family != "" {
		rows, err := tx.Query(ctx, `SELECT access_jti, access_exp FROM oauth_refresh_tokens WHERE family = ?`, family)
		if err != nil {
			return fmt.Errorf("oauth: revoking: %w", err)
		}
		for rows.Next() {
			var (
				j   revokedJTI
				exp int64
			)
			if err := rows.Scan(&j.jti, &exp); err != nil {
				rows.Close()
				return fmt.Errorf("oauth: revoking: %w", err)
			}
			j.exp = fromMS(exp)
			jtis = append(jtis, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("oauth: revoking: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE oauth_refresh_tokens SET revoked = 1 WHERE family = ?`, family); err != nil {
			return fmt.Errorf("oauth: revoking: %w", err)
		}
	}
	for _, j := range jtis {
		if err := revokeJTITx(ctx, tx, j); err != nil {
			return err
		}
		s.revCache.del(j.jti)
	}
	return nil
}

type revokedJTI struct {
	jti string
	exp time.Time
}

func revokeJTITx(ctx context.Context, tx *opsql.Tx, j revokedJTI) error {
	if j.jti == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO oauth_revoked (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING`, j.jti, ms(j.exp))
	if err != nil {
		return fmt.Errorf("oauth: revoking access token: %w", err)
	}
	return nil
}

// isRevoked looks an access token's jti up in the revocation table,
// through a short cache.
func (s *Server) isRevoked(ctx context.Context, jti string) (bool, error) {
	if v, ok := s.revCache.get(jti); ok {
		return v, nil
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM oauth_revoked WHERE jti = ?`, jti).Scan(&n); err != nil {
		return false, fmt.Errorf("oauth: reading revocations: %w", err)
	}
	s.revCache.put(jti, n > 0)
	return n > 0, nil
}

// purge deletes expired sessions, codes, refresh tokens and revocations.
func (s *Server) purge(ctx context.Context) error {
	now := ms(s.now())
	idle := ms(s.now().Add(-s.sessionIdle))
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM oauth_sessions WHERE expires_at <= ? OR last_seen <= ?`, []any{now, idle}},
		// Spent codes stay an hour past expiry so that a late replay
		// still revokes what they produced.
		{`DELETE FROM oauth_codes WHERE expires_at <= ?`, []any{now - time.Hour.Milliseconds()}},
		{`DELETE FROM oauth_refresh_tokens WHERE expires_at <= ?`, []any{now}},
		{`DELETE FROM oauth_revoked WHERE expires_at <= ?`, []any{now}},
	} {
		if _, err := s.db.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("oauth: purging: %w", err)
		}
	}
	return s.acc.Purge(ctx)
}
