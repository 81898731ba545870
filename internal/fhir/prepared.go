package fhir

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Placeholders for the server's meta while a resource is encoded ahead of
// its write. They hold a NUL, which the encoder writes as \u0000, so they
// cannot be confused with the rest of the document, where meta comes second.
const (
	versionHole     = "\x00hc-version\x00"
	lastUpdatedHole = "\x00hc-last-updated\x00"
)

var (
	versionHoleJSON     = []byte(`"versionId":"\u0000hc-version\u0000"`)
	lastUpdatedHoleJSON = []byte(`"lastUpdated":"\u0000hc-last-updated\u0000"`)
)

// Prepared is a resource encoded before its version and time are known, so
// that the expensive encoding happens outside the store's write transaction
// (in the importer's parallel workers, say) and Stamp only splices bytes.
type Prepared struct {
	buf        []byte
	verAt, ver int // offset and length of the versionId placeholder
	tsAt, ts   int // offset and length of the lastUpdated placeholder
}

// Prepare sets res.id and encodes res with placeholders for meta.versionId
// and meta.lastUpdated. It modifies res.
func Prepare(res map[string]any, id string) (*Prepared, error) {
	res["id"] = id
	meta, _ := res["meta"].(map[string]any)
	if meta == nil {
		meta = make(map[string]any, 2)
		res["meta"] = meta
	}
	meta["versionId"] = versionHole
	meta["lastUpdated"] = lastUpdatedHole
	buf, err := Marshal(res)
	if err != nil {
		return nil, err
	}
	p := &Prepared{buf: buf, verAt: bytes.Index(buf, versionHoleJSON), tsAt: bytes.Index(buf, lastUpdatedHoleJSON)}
	if p.verAt < 0 || p.tsAt < 0 || p.tsAt < p.verAt {
		return nil, fmt.Errorf("fhir: meta placeholders not found in the encoded %v", res["resourceType"])
	}
	p.ver, p.ts = len(versionHoleJSON), len(lastUpdatedHoleJSON)
	return p, nil
}

// Stamp returns the encoded resource with its version and time filled in;
// the same bytes Stamp(res, id, versionID, lastUpdated) would produce.
func (p *Prepared) Stamp(versionID int64, lastUpdated time.Time) []byte {
	out := make([]byte, 0, len(p.buf)+8)
	out = append(out, p.buf[:p.verAt]...)
	out = append(out, `"versionId":"`...)
	out = strconv.AppendInt(out, versionID, 10)
	out = append(out, '"')
	out = append(out, p.buf[p.verAt+p.ver:p.tsAt]...)
	out = append(out, `"lastUpdated":"`...)
	out = lastUpdated.UTC().AppendFormat(out, "2006-01-02T15:04:05.000000Z")
	out = append(out, '"')
	return append(out, p.buf[p.tsAt+p.ts:]...)
}
