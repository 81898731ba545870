package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/housecall/housecall/internal/fhir"
)

// ChainURL is the extension that links an AuditEvent into the chain. Its
// sub-extensions are "seq" (decimal, as valueString because valueInteger64
// is R5), "prev" and "hash" (lower-case hex SHA-256, as valueString).
const ChainURL = "https://housecall.dev/fhir/StructureDefinition/audit-chain"

// GenesisHash is the prev of the first event of a chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// hashDomain versions the hashed form; see the package comment.
const hashDomain = "housecall-audit-v1\n"

var (
	// ErrSeal means Seal was given an unusable resource, sequence number or
	// previous hash.
	ErrSeal = errors.New("audit: cannot seal event")
	// ErrBroken: Verify found a broken link (VerifyHead reports it again).
	ErrBroken = errors.New("audit: chain is broken")
	// ErrTruncated: the chain ends before the anchored head; events were
	// removed from its tail.
	ErrTruncated = errors.New("audit: chain is shorter than its anchored head")
	// ErrAnchorMismatch: the event at the anchored sequence number has
	// another hash; the chain was rewritten from that point.
	ErrAnchorMismatch = errors.New("audit: chain does not contain the anchored head")
	// ErrAnchorUnchecked: the chain goes past the anchored head but Verify
	// was not told to look for it (set Chain.Anchor).
	ErrAnchorUnchecked = errors.New("audit: anchored head was not checked")
	// ErrNoChain: a stored body carries no usable chain extension.
	ErrNoChain = errors.New("audit: no chain extension")
)

// Head is the position of an event in the chain.
type Head struct {
	Seq  int64
	Hash string
}

// Chain seals and verifies events. The zero value verifies a chain from
// its first event (seq 1, prev GenesisHash).
type Chain struct {
	// Start is the event the first verified one follows, to verify the rest
	// of a chain whose beginning was archived. Zero: the genesis.
	Start Head
	// Anchor, when Seq > 0, is a head stored out of reach of the database
	// (see VerifyHead); Verify breaks if the event at Anchor.Seq has another
	// hash, and records what it saw in Report.Anchor.
	Anchor Head
}

// Report is what Verify found.
type Report struct {
	// Checked counts the events that verified, in order, before any break.
	Checked int64
	// Head is the last event that verified (Chain.Start if none did).
	Head Head
	// Broken is the first broken link, nil when every event verified.
	Broken *Break
	// Anchor is the event Verify found at Chain.Anchor.Seq, if it got there.
	Anchor *Head
}

// Break is the first broken link of a chain.
type Break struct {
	// Seq is the sequence number of the event found at fault: the edited
	// event, the first one after a deletion, the earliest of re-ordered
	// ones; when the body could not be read, the expected number.
	Seq int64
	// ID is the stored resource id of that event ("" if unreadable).
	ID string
	// Reason says what is wrong, without any event content.
	Reason string
}

// Seal adds the chain extension for position seq after the event whose hash
// is prev (GenesisHash for seq 1) to resource, an AuditEvent from
// Event.Resource, and returns the new event's hash. It modifies resource:
// any previous chain extension is replaced. id and meta, if present, are
// not covered by the hash. The caller must allocate seq and read prev under
// one lock or transaction, and store the events so they can be read back in
// seq order.
func (Chain) Seal(resource map[string]any, seq int64, prev string) (string, error) {
	if rt, _ := resource["resourceType"].(string); rt != "AuditEvent" {
		return "", fmt.Errorf("%w: not an AuditEvent", ErrSeal)
	}
	if seq < 1 {
		return "", fmt.Errorf("%w: seq must be at least 1", ErrSeal)
	}
	if !isHash(prev) {
		return "", fmt.Errorf("%w: prev must be 64 lower-case hex digits", ErrSeal)
	}
	var exts []any
	switch x := resource["extension"].(type) {
	case nil:
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); !ok || m["url"] != ChainURL {
				exts = append(exts, e)
			}
		}
	default:
		return "", fmt.Errorf("%w: extension must be a []any, not %T", ErrSeal, x)
	}
	seqStr := strconv.FormatInt(seq, 10)
	chainExt := map[string]any{"url": ChainURL, "extension": []any{
		map[string]any{"url": "seq", "valueString": seqStr},
		map[string]any{"url": "prev", "valueString": prev},
	}}
	resource["extension"] = append(exts, chainExt)

	hashed := make(map[string]any, len(resource))
	for k, v := range resource {
		if k != "id" && k != "meta" {
			hashed[k] = v
		}
	}
	sum, err := hashOf(seqStr, prev, hashed)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSeal, err)
	}
	chainExt["extension"] = append(chainExt["extension"].([]any),
		map[string]any{"url": "hash", "valueString": sum})
	return sum, nil
}

func hashOf(seq, prev string, res map[string]any) (string, error) {
	buf := make([]byte, 0, 2048)
	buf = append(buf, hashDomain...)
	buf = append(buf, seq...)
	buf = append(buf, '\n')
	buf = append(buf, prev...)
	buf = append(buf, '\n')
	buf, err := appendCanonical(buf, res)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), nil
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Verify reads stored AuditEvent bodies (with id and meta, any key order and
// whitespace) in chain order until next reports ok == false, and returns the
// first broken link, if any: an edited event (hash mismatch), a deletion
// (sequence gap), a re-ordering (the missing event right after, or a
// sequence number that does not increase), a prev that does not match, or a
// body without a valid chain extension. It stops at the first break. The
// error is only for next's errors; tampering is reported in Report.Broken.
func (c Chain) Verify(next func() (body []byte, ok bool, err error)) (Report, error) {
	rep := Report{Head: c.Start}
	if rep.Head.Seq == 0 && rep.Head.Hash == "" {
		rep.Head.Hash = GenesisHash
	}
	for {
		body, ok, err := next()
		if err != nil {
			return rep, fmt.Errorf("audit: reading the event after seq %d: %w", rep.Head.Seq, err)
		}
		if !ok {
			return rep, nil
		}
		want := rep.Head.Seq + 1
		l, err := readLink(body)
		if err != nil {
			rep.Broken = &Break{Seq: want, ID: l.id, Reason: err.Error()}
			return rep, nil
		}
		switch {
		case l.seq < want:
			rep.Broken = &Break{Seq: l.seq, ID: l.id,
				Reason: fmt.Sprintf("re-ordered or duplicated: seq %d follows seq %d", l.seq, rep.Head.Seq)}
			return rep, nil
		case l.seq > want:
			// A missing event found right after was moved, not deleted.
			body, ok, err := next()
			if err != nil {
				return rep, fmt.Errorf("audit: reading the event after seq %d: %w", l.seq, err)
			}
			if ok {
				if m, err := readLink(body); err == nil && m.seq == want {
					rep.Broken = &Break{Seq: want, ID: m.id,
						Reason: fmt.Sprintf("re-ordered: seq %d is stored after seq %d", want, l.seq)}
					return rep, nil
				}
			}
			rep.Broken = &Break{Seq: l.seq, ID: l.id,
				Reason: fmt.Sprintf("deleted: seq %d follows seq %d", l.seq, rep.Head.Seq)}
			return rep, nil
		case l.prev != rep.Head.Hash:
			rep.Broken = &Break{Seq: l.seq, ID: l.id, Reason: "prev does not match the hash of the previous event"}
			return rep, nil
		case l.hash != l.computed:
			rep.Broken = &Break{Seq: l.seq, ID: l.id, Reason: "edited: content does not match its hash"}
			return rep, nil
		}
		if c.Anchor.Seq > 0 && l.seq == c.Anchor.Seq {
			rep.Anchor = &Head{Seq: l.seq, Hash: l.hash}
			if l.hash != c.Anchor.Hash {
				rep.Broken = &Break{Seq: l.seq, ID: l.id, Reason: "does not match the anchored head"}
				return rep, nil
			}
		}
		rep.Checked++
		rep.Head = Head{Seq: l.seq, Hash: l.hash}
	}
}

// VerifyHead checks a Report against a head stored elsewhere (anchored)
// when it was written: the chain must reach it and contain it. A chain
// that stops short was truncated (ErrTruncated); one with another event
// at that position was rewritten (ErrAnchorMismatch). When the chain goes
// past the anchor, Verify must have been run with Chain.Anchor set to it,
// or the result is ErrAnchorUnchecked. A zero anchored head checks nothing
// beyond Report.Broken.
func VerifyHead(rep Report, anchored Head) error {
	if rep.Broken != nil {
		return fmt.Errorf("%w at seq %d: %s", ErrBroken, rep.Broken.Seq, rep.Broken.Reason)
	}
	switch {
	case anchored.Seq <= 0:
		return nil
	case rep.Head.Seq < anchored.Seq:
		return fmt.Errorf("%w: the chain ends at seq %d, the anchored head is seq %d", ErrTruncated, rep.Head.Seq, anchored.Seq)
	case rep.Head.Seq == anchored.Seq:
		if rep.Head.Hash != anchored.Hash {
			return fmt.Errorf("%w: seq %d has another hash", ErrAnchorMismatch, anchored.Seq)
		}
		return nil
	case rep.Anchor == nil || rep.Anchor.Seq != anchored.Seq:
		return fmt.Errorf("%w: seq %d", ErrAnchorUnchecked, anchored.Seq)
	case rep.Anchor.Hash != anchored.Hash:
		return fmt.Errorf("%w: seq %d has another hash", ErrAnchorMismatch, anchored.Seq)
	}
	return nil
}

// HeadOf returns the sequence number and hash a stored body claims, without
// verifying them: for finding where a chain continues, not for trust.
func HeadOf(body []byte) (Head, error) {
	l, err := readLink(body)
	if err != nil {
		return Head{}, err
	}
	return Head{Seq: l.seq, Hash: l.hash}, nil
}

// link is what one stored event says about its place in the chain, and
// the hash its content actually has.
type link struct {
	id                   string
	seq                  int64
	prev, hash, computed string
}

// readLink decodes a stored body strictly (fhir.Decode: numbers kept as
// written, duplicate keys and trailing data rejected) and recomputes its
// hash. Errors wrap ErrNoChain and never quote the body.
func readLink(body []byte) (link, error) {
	var l link
	res, issues := fhir.Decode(body)
	if res == nil || fhir.HasErrors(issues) {
		return l, fmt.Errorf("%w: the body is not a JSON object", ErrNoChain)
	}
	l.id, _ = res["id"].(string)
	if rt, _ := res["resourceType"].(string); rt != "AuditEvent" {
		return l, fmt.Errorf("%w: not an AuditEvent", ErrNoChain)
	}
	delete(res, "id")
	delete(res, "meta")
	exts, _ := res["extension"].([]any)
	var chainExt map[string]any
	for _, e := range exts {
		if m, ok := e.(map[string]any); ok && m["url"] == ChainURL {
			if chainExt != nil {
				return l, fmt.Errorf("%w: more than one chain extension", ErrNoChain)
			}
			chainExt = m
		}
	}
	if chainExt == nil {
		return l, fmt.Errorf("%w: missing chain extension", ErrNoChain)
	}
	subs, _ := chainExt["extension"].([]any)
	kept := make([]any, 0, len(subs))
	var seqStr string
	seen := map[string]bool{}
	for _, s := range subs {
		m, _ := s.(map[string]any)
		url, _ := m["url"].(string)
		val, isStr := m["valueString"].(string)
		if !isStr || len(m) != 2 || seen[url] {
			return l, fmt.Errorf("%w: malformed chain sub-extension", ErrNoChain)
		}
		seen[url] = true
		switch url {
		case "seq":
			seqStr = val
		case "prev":
			l.prev = val
		case "hash":
			l.hash = val
			continue // the hash does not cover itself
		default:
			return l, fmt.Errorf("%w: unknown chain sub-extension", ErrNoChain)
		}
		kept = append(kept, s)
	}
	n, err := strconv.ParseInt(seqStr, 10, 64)
	if err != nil || n < 1 || strconv.FormatInt(n, 10) != seqStr {
		return l, fmt.Errorf("%w: seq must be a positive decimal integer", ErrNoChain)
	}
	l.seq = n
	if !isHash(l.prev) || !isHash(l.hash) {
		return l, fmt.Errorf("%w: prev and hash must be 64 lower-case hex digits", ErrNoChain)
	}
	chainExt["extension"] = kept
	if l.computed, err = hashOf(seqStr, l.prev, res); err != nil {
		return l, fmt.Errorf("%w: %w", ErrNoChain, err)
	}
	return l, nil
}
