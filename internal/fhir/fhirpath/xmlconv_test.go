package fhirpath_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"

	"github.com/housecall/housecall/internal/fhir/fhirpath"
)

// xnode is a parsed XML element; div elements keep their raw XHTML.
type xnode struct {
	name     string
	attrs    map[string]string
	children []*xnode
	raw      string
}

const xhtmlNS = "http://www.w3.org/1999/xhtml"

func parseXML(data []byte) (*xnode, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var stack []*xnode
	var root *xnode
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xnode{name: t.Name.Local, attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "" || a.Name.Space == "xmlns" {
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if t.Name.Space == xhtmlNS && t.Name.Local == "div" {
				raw, err := captureXHTML(dec, t)
				if err != nil {
					return nil, err
				}
				n.raw = raw
				if len(stack) > 0 {
					p := stack[len(stack)-1]
					p.children = append(p.children, n)
				}
				continue
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// captureXHTML re-serialises the div element (already started) as a string.
func captureXHTML(dec *xml.Decoder, start xml.StartElement) (string, error) {
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	strip := func(n xml.Name) xml.Name { return xml.Name{Local: n.Local} }
	start.Name = strip(start.Name)
	start.Attr = append([]xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xhtmlNS}}, filterAttrs(start.Attr)...)
	if err := enc.EncodeToken(start); err != nil {
		return "", err
	}
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			t.Name = strip(t.Name)
			t.Attr = filterAttrs(t.Attr)
			tok = t
		case xml.EndElement:
			depth--
			t.Name = strip(t.Name)
			tok = t
		}
		if err := enc.EncodeToken(xml.CopyToken(tok)); err != nil {
			return "", err
		}
	}
	if err := enc.Flush(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func filterAttrs(as []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range as {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
			continue
		}
		out = append(out, xml.Attr{Name: xml.Name{Local: a.Name.Local}, Value: a.Value})
	}
	return out
}

// xmlToJSON converts a FHIR XML resource to the JSON form, using the model
// for element types and cardinalities.
func xmlToJSON(m fhirpath.Model, data []byte) (map[string]any, error) {
	root, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	res, err := convertElement(m, root, root.name)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"resourceType": root.name}
	for k, v := range res {
		out[k] = v
	}
	return out, nil
}

var primitiveTypes = map[string]bool{
	"boolean": true, "integer": true, "positiveInt": true, "unsignedInt": true, "integer64": true,
	"decimal": true, "date": true, "dateTime": true, "instant": true, "time": true,
	"string": true, "code": true, "id": true, "uri": true, "url": true, "canonical": true,
	"oid": true, "uuid": true, "markdown": true, "base64Binary": true, "xhtml": true,
}

func isResourceType(m fhirpath.Model, t string) bool {
	for i := 0; t != "" && i < 10; i++ {
		if t == "Resource" {
			return true
		}
		t = m.BaseType(t)
	}
	return false
}

func convertElement(m fhirpath.Model, n *xnode, typ string) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range n.attrs {
		if k == "id" || k == "url" {
			out[k] = v
		}
	}
	type slot struct {
		vals []any
		exts []any
		arr  bool
		prim bool
	}
	slots := map[string]*slot{}
	var order []string
	for _, c := range n.children {
		if c.raw != "" {
			out[c.name] = c.raw
			continue
		}
		ct, isArr, ok := m.ChildType(typ, c.name)
		if !ok {
			return nil, fmt.Errorf("%s has no element %s", typ, c.name)
		}
		s := slots[c.name]
		if s == nil {
			s = &slot{arr: isArr}
			slots[c.name] = s
			order = append(order, c.name)
		}
		switch {
		case primitiveTypes[ct]:
			s.prim = true
			var v any
			if raw, has := c.attrs["value"]; has {
				switch ct {
				case "boolean":
					v = raw == "true"
				case "integer", "positiveInt", "unsignedInt", "decimal", "integer64":
					v = json.Number(raw)
				default:
					v = raw
				}
			}
			var ext any
			if id, has := c.attrs["id"]; has || len(c.children) > 0 {
				em := map[string]any{}
				if has {
					em["id"] = id
				}
				for _, e := range c.children {
					conv, err := convertElement(m, e, "Extension")
					if err != nil {
						return nil, err
					}
					arr, _ := em["extension"].([]any)
					em["extension"] = append(arr, conv)
				}
				ext = em
			}
			s.vals = append(s.vals, v)
			s.exts = append(s.exts, ext)
		case (ct == "Resource" || isResourceType(m, ct)) && len(c.children) == 1:
			inner := c.children[0]
			conv, err := convertElement(m, inner, inner.name)
			if err != nil {
				return nil, err
			}
			conv["resourceType"] = inner.name
			s.vals = append(s.vals, conv)
		default:
			conv, err := convertElement(m, c, ct)
			if err != nil {
				return nil, err
			}
			s.vals = append(s.vals, conv)
		}
	}
	for _, name := range order {
		s := slots[name]
		hasVal, hasExt := false, false
		for i := range s.vals {
			if s.vals[i] != nil {
				hasVal = true
			}
			if s.prim && s.exts[i] != nil {
				hasExt = true
			}
		}
		if s.arr {
			if hasVal {
				out[name] = s.vals
			}
			if hasExt {
				out["_"+name] = s.exts
			}
			continue
		}
		if hasVal {
			out[name] = s.vals[0]
		}
		if hasExt {
			out["_"+name] = s.exts[0]
		}
	}
	return out, nil
}
