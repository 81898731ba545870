package synthea

import (
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// index records what the data set contains, so that only references into
// it are rewritten.
type index struct {
	typed       map[string]bool // "Type/id"
	ids         map[string]bool // id alone, for urn:uuid references
	identifiers map[string]bool // "system|value"
}

func newIndex() *index {
	return &index{typed: map[string]bool{}, ids: map[string]bool{}, identifiers: map[string]bool{}}
}

// add records one NDJSON line; only the fields the index needs are decoded.
func (x *index) add(line []byte) error {
	var head struct {
		ResourceType string          `json:"resourceType"`
		ID           string          `json:"id"`
		Identifier   json.RawMessage `json:"identifier"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if head.ResourceType == "" || head.ID == "" {
		return fmt.Errorf("resource without resourceType or id")
	}
	x.typed[head.ResourceType+"/"+head.ID] = true
	x.ids[head.ID] = true
	var list []identifier
	if len(head.Identifier) > 0 && head.Identifier[0] == '[' {
		_ = json.Unmarshal(head.Identifier, &list) // a malformed identifier simply stays unindexed
	} else if len(head.Identifier) > 0 {
		var one identifier
		if json.Unmarshal(head.Identifier, &one) == nil {
			list = append(list, one)
		}
	}
	for _, id := range list {
		if id.Value != "" {
			x.identifiers[id.System+"|"+id.Value] = true
		}
	}
	return nil
}

type identifier struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// namespace is the UUIDv5 namespace of copy ids: UUIDv5(URL namespace,
// "urn:housecall:synthea:multiply"), fixed so copies are reproducible.
var namespace = uuid5([16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8},
	"urn:housecall:synthea:multiply")

// CopyID is the id a resource with id gets in copy k: id itself for k == 0,
// otherwise a UUIDv5 of k and id. UUIDs keep "urn:uuid:" references valid,
// are valid FHIR ids of any source length, and do not collide across copies.
func CopyID(k int, id string) string {
	if k == 0 {
		return id
	}
	u := uuid5(namespace, strconv.Itoa(k)+"/"+id)
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// CopyIdentifierValue is the identifier value of copy k.
func CopyIdentifierValue(k int, value string) string {
	if k == 0 {
		return value
	}
	return value + "-" + strconv.Itoa(k)
}

// uuid5 implements RFC 9562 name-based UUIDs with SHA-1.
func uuid5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// rewriter turns a source resource into its copy k.
type rewriter struct {
	idx *index
	k   int
}

func (rw rewriter) resource(res map[string]any) {
	if id, ok := res["id"].(string); ok {
		res["id"] = CopyID(rw.k, id)
	}
	// Top-level identifiers always belong to the data set: every one gets
	// the suffix, whether or not anything refers to it.
	switch ids := res["identifier"].(type) {
	case []any:
		for _, e := range ids {
			rw.suffixIdentifier(e, true)
		}
	case map[string]any:
		rw.suffixIdentifier(ids, true)
	}
	for k, v := range res {
		if k != "id" {
			rw.walk(v) // also reaches Identifier.assigner references
		}
	}
}

// walk rewrites references anywhere below v (extensions, backbone
// elements, contained resources' references alike).
func (rw rewriter) walk(v any) {
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			rw.walk(e)
		}
	case map[string]any:
		for k, e := range t {
			switch k {
			case "reference":
				if s, ok := e.(string); ok {
					t[k] = rw.reference(s)
					continue
				}
			case "identifier":
				// Reference.identifier: a logical reference, rewritten only
				// when it names an identifier of the data set.
				if m, ok := e.(map[string]any); ok {
					rw.suffixIdentifier(m, false)
					rw.walk(m)
					continue
				}
			}
			rw.walk(e)
		}
	}
}

func (rw rewriter) suffixIdentifier(v any, always bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	value, ok := m["value"].(string)
	if !ok {
		return
	}
	system, _ := m["system"].(string)
	if always || rw.idx.identifiers[system+"|"+value] {
		m["value"] = CopyIdentifierValue(rw.k, value)
	}
}

// reference rewrites one Reference.reference value if it points into the data set.
func (rw rewriter) reference(ref string) string {
	if id, ok := strings.CutPrefix(ref, "urn:uuid:"); ok {
		if rw.idx.ids[id] {
			return "urn:uuid:" + CopyID(rw.k, id)
		}
		return ref
	}
	if typ, query, ok := strings.Cut(ref, "?"); ok {
		// Synthea's conditional form: "Practitioner?identifier=system|value".
		ident, ok := strings.CutPrefix(query, "identifier=")
		if !ok || strings.Contains(typ, "/") || strings.Contains(ident, "&") {
			return ref
		}
		system, value, ok := strings.Cut(ident, "|")
		if !ok || !rw.idx.identifiers[system+"|"+value] {
			return ref
		}
		return typ + "?identifier=" + system + "|" + CopyIdentifierValue(rw.k, value)
	}
	if strings.Contains(ref, "://") {
		return ref // absolute URL: another server's resource
	}
	typ, rest, ok := strings.Cut(ref, "/")
	if !ok {
		return ref
	}
	id, history, _ := strings.Cut(rest, "/")
	if !rw.idx.typed[typ+"/"+id] {
		return ref
	}
	out := typ + "/" + CopyID(rw.k, id)
	if history != "" {
		out += "/" + history
	}
	return out
}
