package fhirpath

import (
	"fmt"
	"sort"
	"strings"
)

// typeInfoType marks the items returned by type(); they are navigable maps
// with "namespace" and "name".
const typeInfoType = "TypeInfo"

func registerFHIR(add func(string, int, int, func(*call) ([]Item, error))) {
	add("extension", 1, 1, fnExtension)
	add("resolve", 0, 0, fnResolve)
	add("hasValue", 0, 0, func(k *call) ([]Item, error) {
		if len(k.focus) != 1 {
			return boolResult(false), nil
		}
		it := k.focus[0]
		_, isMap := it.Value.(map[string]any)
		return boolResult(it.Type != "" && it.Value != nil && !isMap), nil
	})
	add("getValue", 0, 0, func(k *call) ([]Item, error) {
		if len(k.focus) != 1 || k.focus[0].Type == "" {
			return nil, nil
		}
		v, ok := sysValue(k.focus[0])
		if _, isMap := k.focus[0].Value.(map[string]any); !ok || isMap {
			return nil, nil
		}
		return []Item{{Value: v}}, nil
	})
	add("conformsTo", 1, 1, fnConformsTo)
	// Terminology and profile machinery is outside this engine: these
	// return empty (unknown) rather than a guess.
	add("memberOf", 1, 1, func(k *call) ([]Item, error) { return nil, nil })
	add("elementDefinition", 0, 0, func(k *call) ([]Item, error) { return nil, nil })
	add("slice", 2, 2, func(k *call) ([]Item, error) { return nil, nil })
	add("checkModifiers", 0, 8, func(k *call) ([]Item, error) { return k.focus, nil })
	html := func(k *call) ([]Item, error) { return boolResult(true), nil }
	add("htmlChecks", 0, 0, html)
	add("htmlchecks", 0, 0, html)
	add("children", 0, 0, func(k *call) ([]Item, error) { return children(k.c, k.focus), nil })
	add("descendants", 0, 0, func(k *call) ([]Item, error) {
		var out []Item
		level := k.focus
		for depth := 0; len(level) > 0 && depth < 100; depth++ {
			level = children(k.c, level)
			out = append(out, level...)
		}
		return out, nil
	})
	add("trace", 1, 2, func(k *call) ([]Item, error) {
		if t := k.c.env.opts.Trace; t != nil {
			name, _, err := k.argString(0)
			if err != nil {
				return nil, err
			}
			items := k.focus
			if len(k.node.args) > 1 {
				var proj []Item
				err := k.iterate(1, func(_ int, _ Item, res []Item) (bool, error) {
					proj = append(proj, res...)
					return false, nil
				})
				if err != nil {
					return nil, err
				}
				items = proj
			}
			t(name, items)
		}
		return k.focus, nil
	})
	add("now", 0, 0, func(k *call) ([]Item, error) {
		return []Item{{Value: dateTimeFromTime(k.c.env.clock(), KindDateTime, precMillis)}}, nil
	})
	add("today", 0, 0, func(k *call) ([]Item, error) {
		return []Item{{Value: dateTimeFromTime(k.c.env.clock(), KindDate, precDay)}}, nil
	})
	add("timeOfDay", 0, 0, func(k *call) ([]Item, error) {
		return []Item{{Value: dateTimeFromTime(k.c.env.clock(), KindTime, precMillis)}}, nil
	})
	add("type", 0, 0, func(k *call) ([]Item, error) {
		out := make([]Item, 0, len(k.focus))
		for _, it := range k.focus {
			ns, name := "FHIR", it.Type
			if it.Type == "" {
				ns, name = "System", systemTypeName(it.Value)
			}
			out = append(out, Item{Type: typeInfoType, Value: map[string]any{"namespace": ns, "name": name}})
		}
		return out, nil
	})
}

func fnExtension(k *call) ([]Item, error) {
	url, ok, err := k.argString(0)
	if err != nil || !ok {
		return nil, err
	}
	var out []Item
	for _, it := range k.focus {
		var exts any
		if m, ok := it.Value.(map[string]any); ok {
			exts = m["extension"]
		} else if it.Ext != nil {
			exts = it.Ext["extension"]
		}
		arr, _ := exts.([]any)
		for _, e := range arr {
			em, ok := e.(map[string]any)
			if ok && em["url"] == url {
				out = append(out, Item{Type: "Extension", Value: em})
			}
		}
	}
	return out, nil
}

func fnConformsTo(k *call) ([]Item, error) {
	url, ok, err := k.argString(0)
	if err != nil || !ok {
		return nil, err
	}
	const base = "http://hl7.org/fhir/StructureDefinition/"
	name, core := strings.CutPrefix(url, base)
	if !core || !knownType(k.c.env.model, typeSpec{ns: "FHIR", name: name}) {
		return nil, fmt.Errorf("cannot check conformance to profile %q", url)
	}
	if len(k.focus) != 1 {
		return nil, nil
	}
	return boolResult(matchesType(k.c.env.model, k.focus[0], typeSpec{ns: "FHIR", name: name}, false)), nil
}

// children lists the direct child nodes of every item, in key order.
func children(c *evalCtx, items []Item) []Item {
	var out []Item
	for _, it := range items {
		m, ok := it.Value.(map[string]any)
		if !ok {
			continue
		}
		keys := make([]string, 0, len(m))
		for key := range m {
			if key == "resourceType" {
				continue
			}
			if strings.HasPrefix(key, "_") {
				if _, has := m[key[1:]]; has {
					continue
				}
				key = key[1:]
			}
			keys = append(keys, key)
		}
		sort.Strings(keys)
		for _, key := range keys {
			typ := ""
			if c.env.model != nil && it.Type != "" {
				typ, _, _ = c.env.model.ChildType(it.Type, key)
			}
			prim := typ == "" || isPrimitiveType(typ)
			var ext any
			if prim {
				ext = m["_"+key]
			}
			out = appendJSON(out, m[key], ext, typ, prim)
		}
	}
	return out
}

func fnResolve(k *call) ([]Item, error) {
	var out []Item
	for _, it := range k.focus {
		var ref string
		switch v := it.Value.(type) {
		case map[string]any:
			ref, _ = v["reference"].(string)
		case string:
			ref = v
		}
		if ref == "" {
			continue
		}
		if r, ok := resolveRef(k.c, ref); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func resolveRef(c *evalCtx, ref string) (Item, bool) {
	var root map[string]any
	if len(c.env.resource) == 1 {
		root, _ = c.env.resource[0].Value.(map[string]any)
	}
	if id, ok := strings.CutPrefix(ref, "#"); ok && root != nil {
		arr, _ := root["contained"].([]any)
		for _, x := range arr {
			if m, ok := x.(map[string]any); ok && m["id"] == id {
				return ResourceItem(m), true
			}
		}
		return Item{}, false
	}
	if root != nil && root["resourceType"] == "Bundle" {
		entries, _ := root["entry"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			res, _ := em["resource"].(map[string]any)
			if res == nil {
				continue
			}
			if full, _ := em["fullUrl"].(string); full == ref {
				return ResourceItem(res), true
			}
			rt, _ := res["resourceType"].(string)
			id, _ := res["id"].(string)
			if rt != "" && id != "" && (ref == rt+"/"+id || strings.HasSuffix(ref, "/"+rt+"/"+id)) {
				return ResourceItem(res), true
			}
		}
	}
	if f := c.env.opts.Resolve; f != nil {
		if m, ok := f(ref); ok {
			return ResourceItem(m), true
		}
	}
	// Placeholder typed from "Type/id" so `resolve() is Patient` works
	// without fetching anything.
	rt, id, ok := splitReference(ref)
	if !ok {
		return Item{}, false
	}
	if m := c.env.model; m != nil && m.BaseType(rt) == "" {
		return Item{}, false
	}
	return Item{Type: rt, Value: map[string]any{"resourceType": rt, "id": id}}, true
}

// splitReference extracts Type and id from "Type/id", "Type/id/_history/v"
// or an absolute URL ending in one of those.
func splitReference(ref string) (string, string, bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	j := strings.LastIndexByte(ref, '/')
	if j <= 0 || j == len(ref)-1 {
		return "", "", false
	}
	id := ref[j+1:]
	rest := ref[:j]
	i := strings.LastIndexByte(rest, '/')
	rt := rest[i+1:]
	if rt == "" || rt[0] < 'A' || rt[0] > 'Z' {
		return "", "", false
	}
	return rt, id, true
}
