package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const fhirTypeExt = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
const regexExt = "http://hl7.org/fhir/StructureDefinition/regex"

// Only the parts of the definition resources the generator reads.
type rawBundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

type rawHeader struct {
	ResourceType string `json:"resourceType"`
}

type rawExt struct {
	URL         string `json:"url"`
	ValueURL    string `json:"valueUrl"`
	ValueString string `json:"valueString"`
}

type rawSD struct {
	ID             string `json:"id"`
	Kind           string `json:"kind"`
	Abstract       bool   `json:"abstract"`
	Type           string `json:"type"`
	BaseDefinition string `json:"baseDefinition"`
	Derivation     string `json:"derivation"`
	Snapshot       struct {
		Element []rawElement `json:"element"`
	} `json:"snapshot"`
}

type rawElement struct {
	Path             string `json:"path"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	IsSummary        bool   `json:"isSummary"`
	Type             []struct {
		Code      string   `json:"code"`
		Extension []rawExt `json:"extension"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

type rawSP struct {
	Code       string   `json:"code"`
	URL        string   `json:"url"`
	Type       string   `json:"type"`
	Expression string   `json:"expression"`
	XPathUsage string   `json:"xpathUsage"`
	Base       []string `json:"base"`
	Target     []string `json:"target"`
	Modifier   []string `json:"modifier"`
	Comparator []string `json:"comparator"`
	Component  []struct {
		Definition string `json:"definition"`
		Expression string `json:"expression"`
	} `json:"component"`
}

type rawCompartment struct {
	Code     string `json:"code"`
	Resource []struct {
		Code  string   `json:"code"`
		Param []string `json:"param"`
	} `json:"resource"`
}

// build reads the package directory and assembles the output.
func build(dir string) (*output, error) {
	out := &output{
		Version:          "4.0.1",
		ValueSets:        map[string][]string{},
		SkippedValueSets: map[string]string{},
		Regex:            map[string]string{},
		Compartments:     map[string]map[string][]string{},
	}
	term := newTerminology()
	for _, name := range []string{"Bundle-valuesets.json", "Bundle-v3-valuesets.json", "Bundle-v2-valuesets.json"} {
		if err := eachResource(filepath.Join(dir, name), term.add); err != nil {
			return nil, err
		}
	}
	for _, name := range []string{"Bundle-types.json", "Bundle-resources.json"} {
		err := eachResource(filepath.Join(dir, name), func(rt string, raw json.RawMessage) error {
			switch rt {
			case "StructureDefinition":
				var sd rawSD
				if err := json.Unmarshal(raw, &sd); err != nil {
					return fmt.Errorf("structure definition: %w", err)
				}
				if sd.Derivation == "constraint" {
					return nil // profiles (SimpleQuantity, MoneyQuantity) are not types
				}
				out.Types = append(out.Types, convertSD(&sd, out.Regex))
			case "CompartmentDefinition":
				var cd rawCompartment
				if err := json.Unmarshal(raw, &cd); err != nil {
					return fmt.Errorf("compartment definition: %w", err)
				}
				m := map[string][]string{}
				for _, r := range cd.Resource {
					if len(r.Param) > 0 {
						m[r.Code] = r.Param
					}
				}
				out.Compartments[cd.Code] = m
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if len(out.Compartments) == 0 {
		return nil, fmt.Errorf("no CompartmentDefinitions found in %s", dir)
	}
	sort.Slice(out.Types, func(i, j int) bool { return out.Types[i].Name < out.Types[j].Name })

	// Expand the value sets of required bindings on code elements.
	for _, t := range out.Types {
		for _, e := range t.Elements {
			if e.Strength != "required" || len(e.Types) != 1 || e.Types[0] != "code" || e.ValueSet == "" {
				continue
			}
			if _, done := out.ValueSets[e.ValueSet]; done {
				continue
			}
			if _, done := out.SkippedValueSets[e.ValueSet]; done {
				continue
			}
			codes, err := term.expand(e.ValueSet, 0)
			if err != nil {
				out.SkippedValueSets[e.ValueSet] = err.Error()
				continue
			}
			out.ValueSets[e.ValueSet] = codes
		}
	}

	err := eachResource(filepath.Join(dir, "Bundle-searchParams.json"), func(rt string, raw json.RawMessage) error {
		if rt != "SearchParameter" {
			return nil
		}
		var sp rawSP
		if err := json.Unmarshal(raw, &sp); err != nil {
			return fmt.Errorf("search parameter: %w", err)
		}
		p := searchParam{Code: sp.Code, URL: sp.URL, Type: sp.Type, Expression: sp.Expression,
			XPathUsage: sp.XPathUsage, Base: sp.Base, Target: sp.Target, Modifier: sp.Modifier, Comparator: sp.Comparator}
		for _, c := range sp.Component {
			p.Component = append(p.Component, component{Definition: c.Definition, Expression: c.Expression})
		}
		out.SearchParams = append(out.SearchParams, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out.SearchParams, func(i, j int) bool { return out.SearchParams[i].URL < out.SearchParams[j].URL })
	return out, nil
}

func convertSD(sd *rawSD, regex map[string]string) typeDef {
	name := sd.Type
	if sd.Kind == "resource" || sd.Kind == "complex-type" || sd.Kind == "primitive-type" {
		name = sd.ID
	}
	base := ""
	if i := strings.LastIndexByte(sd.BaseDefinition, '/'); i >= 0 {
		base = sd.BaseDefinition[i+1:]
	}
	t := typeDef{Name: name, Kind: sd.Kind, Base: base, Abstract: sd.Abstract}
	for i, re := range sd.Snapshot.Element {
		if i == 0 {
			continue // the type's own root element
		}
		if sd.Kind == "primitive-type" && re.Path == name+".value" {
			for _, ty := range re.Type {
				for _, x := range ty.Extension {
					if x.URL == regexExt {
						regex[name] = x.ValueString
					}
				}
			}
			continue // the primitive's value is the JSON value itself
		}
		e := element{Path: re.Path, Min: re.Min, Max: -1, Summary: re.IsSummary}
		if re.Max != "*" {
			n, err := strconv.Atoi(re.Max)
			if err == nil {
				e.Max = n
			}
		}
		if re.ContentReference != "" {
			e.ContentRef = strings.TrimPrefix(re.ContentReference, "#")
		}
		for _, ty := range re.Type {
			code := ty.Code
			for _, x := range ty.Extension {
				if x.URL == fhirTypeExt && x.ValueURL != "" {
					code = x.ValueURL
				}
			}
			e.Types = append(e.Types, code)
		}
		// The 4.0.1 snapshots type every resource's id as string; the
		// specification (and R4B/R5) say id, whose format is what servers rely on.
		if sd.Kind == "resource" && re.Path == name+".id" && len(e.Types) == 1 && e.Types[0] == "string" {
			e.Types = []string{"id"}
		}
		if re.Binding != nil {
			e.Strength = re.Binding.Strength
			e.ValueSet = stripVersion(re.Binding.ValueSet)
		}
		t.Elements = append(t.Elements, e)
	}
	return t
}

func stripVersion(url string) string {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		return url[:i]
	}
	return url
}

// eachResource calls fn for every entry of a Bundle file, or for the file
// itself when it is a single resource.
func eachResource(path string, fn func(resourceType string, raw json.RawMessage) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read definitions: %w", err)
	}
	var bundle rawBundle
	if err := json.Unmarshal(b, &bundle); err != nil {
		return fmt.Errorf("parse %s: %w", filepath.Base(path), err)
	}
	for _, e := range bundle.Entry {
		var h rawHeader
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			return fmt.Errorf("parse %s entry: %w", filepath.Base(path), err)
		}
		if err := fn(h.ResourceType, e.Resource); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// write stores the output as gzip'd JSON with a zero header so the bytes
// depend only on the content.
func write(path string, out *output) error {
	js, err := encode(out)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	if _, err := zw.Write(js); err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func encode(out *output) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encode output: %w", err)
	}
	return buf.Bytes(), nil
}
