package search

import (
	"math"
	"testing"
)

func idxD(t testing.TB, p, lo, hi string) Entry {
	e := Entry{Param: p, Kind: KindDate, DateLo: math.MinInt64, DateHi: math.MaxInt64}
	if lo != "" {
		e.DateLo = idxUTC(t, lo)
	}
	if hi != "" {
		e.DateHi = idxUTC(t, hi)
	}
	return e
}

func TestIndexDate(t *testing.T) {
	birth := func(d string) string { return `{"resourceType":"Patient","birthDate":"` + d + `"}` }
	obs := func(effective string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"x"},` + effective + `}`
	}
	idxRun(t, []idxCase{
		{"year", birth("2024"), "birthdate", []Entry{idxD(t, "birthdate", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999999Z")}},
		{"month", birth("2024-02"), "birthdate", []Entry{idxD(t, "birthdate", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999999Z")}},
		{"day", birth("2024-03-05"), "birthdate", []Entry{idxD(t, "birthdate", "2024-03-05T00:00:00Z", "2024-03-05T23:59:59.999999Z")}},
		{"dateTime with zone to UTC", obs(`"effectiveDateTime":"2024-03-05T10:00:00+02:00"`), "date", []Entry{
			idxD(t, "date", "2024-03-05T08:00:00Z", "2024-03-05T08:00:00.999999Z")}},
		{"negative zone crosses midnight", obs(`"effectiveDateTime":"2024-12-31T22:30:00-05:00"`), "date", []Entry{
			idxD(t, "date", "2025-01-01T03:30:00Z", "2025-01-01T03:30:00.999999Z")}},
		{"minute precision", obs(`"effectiveDateTime":"2024-03-05T10:00Z"`), "date", []Entry{
			idxD(t, "date", "2024-03-05T10:00:00Z", "2024-03-05T10:00:59.999999Z")}},
		{"fractional seconds", obs(`"effectiveInstant":"2024-03-05T10:00:00.12Z"`), "date", []Entry{
			idxD(t, "date", "2024-03-05T10:00:00.12Z", "2024-03-05T10:00:00.129999Z")}},
		{"period", obs(`"effectivePeriod":{"start":"2024-03-05","end":"2024-03-07T12:00:00Z"}`), "date", []Entry{
			idxD(t, "date", "2024-03-05T00:00:00Z", "2024-03-07T12:00:00.999999Z")}},
		{"period without end", obs(`"effectivePeriod":{"start":"2024-03-05"}`), "date", []Entry{
			idxD(t, "date", "2024-03-05T00:00:00Z", "")}},
		{"period without start", obs(`"effectivePeriod":{"end":"2024"}`), "date", []Entry{
			idxD(t, "date", "", "2024-12-31T23:59:59.999999Z")}},
		{"empty period", obs(`"effectivePeriod":{}`), "date", nil},
		{"timing events and bounds", obs(`"effectiveTiming":{"event":["2024-05-02T08:00:00Z","2024-05-01T08:00:00Z"],
			"repeat":{"boundsPeriod":{"start":"2024-04-30","end":"2024-05-01"}}}`), "date", []Entry{
			idxD(t, "date", "2024-04-30T00:00:00Z", "2024-05-02T08:00:00.999999Z")}},
		{"_lastUpdated", `{"resourceType":"Patient","meta":{"lastUpdated":"2024-05-01T12:00:00.123Z"}}`, "_lastUpdated", []Entry{
			idxD(t, "_lastUpdated", "2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.123999Z")}},
		{"death-date as dateTime", `{"resourceType":"Patient","deceasedDateTime":"2020-06"}`, "death-date", []Entry{
			idxD(t, "death-date", "2020-06-01T00:00:00Z", "2020-06-30T23:59:59.999999Z")}},
		{"dosage timing events", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},
			"medicationCodeableConcept":{"text":"x"},"dosageInstruction":[{"timing":{"event":["2024-01-01T08:00:00Z","2024-01-02T08:00:00Z"]}}]}`,
			"date", []Entry{
				idxD(t, "date", "2024-01-01T08:00:00Z", "2024-01-01T08:00:00.999999Z"),
				idxD(t, "date", "2024-01-02T08:00:00Z", "2024-01-02T08:00:00.999999Z")}},
	})
}

func TestIndexDecimalRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		val, lo, hi float64
	}{
		{"100", 100, 99.5, 100.5},
		{"100.0", 100, 99.95, 100.05},
		{"1e2", 100, 50, 150},
		{"1.00e2", 100, 99.5, 100.5},
		{"1.5E-3", 0.0015, 0.00145, 0.00155},
		{"-2.50", -2.5, -2.505, -2.495},
		{"0", 0, -0.5, 0.5},
		{"0.25", 0.25, 0.245, 0.255},
	} {
		val, lo, hi, ok := idxDecimalRange(tc.in)
		if !ok || val != tc.val || lo != tc.lo || hi != tc.hi {
			t.Errorf("idxDecimalRange(%q) = %v [%v, %v) %v, want %v [%v, %v)", tc.in, val, lo, hi, ok, tc.val, tc.lo, tc.hi)
		}
	}
	for _, bad := range []string{"", "abc", "1e", "1e999"} {
		if _, _, _, ok := idxDecimalRange(bad); ok {
			t.Errorf("idxDecimalRange(%q) accepted", bad)
		}
	}
}

func idxN(p string, v, lo, hi float64) Entry {
	return Entry{Param: p, Kind: KindNumber, Value: v, Lo: lo, Hi: hi}
}

func idxQ(p string, v, lo, hi float64, sys, code, unit string) Entry {
	return Entry{Param: p, Kind: KindQuantity, Value: v, Lo: lo, Hi: hi, System: sys, Code: code, Unit: unit}
}

const idxUCUM = "http://unitsofmeasure.org"

func TestIndexNumberQuantity(t *testing.T) {
	obs := func(value string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"x"},` + value + `}`
	}
	idxRun(t, []idxCase{
		{"decimal precision", `{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/1"},
			"prediction":[{"probabilityDecimal":100},{"probabilityDecimal":100.0},{"probabilityDecimal":1e2},{"probabilityDecimal":0.25}]}`,
			"probability", []Entry{
				idxN("probability", 100, 99.5, 100.5), idxN("probability", 100, 99.95, 100.05),
				idxN("probability", 100, 50, 150), idxN("probability", 0.25, 0.245, 0.255)}},
		{"integer is exact", `{"resourceType":"MolecularSequence","coordinateSystem":0,"variant":[{"start":10,"end":12}]}`,
			"variant-start", []Entry{idxN("variant-start", 10, 10, 10)}},
		{"quantity with ucum code", obs(`"valueQuantity":{"value":5.4,"unit":"mmol/l","system":"` + idxUCUM + `","code":"mmol/L"}`),
			"value-quantity", []Entry{idxQ("value-quantity", 5.4, 5.35, 5.45, idxUCUM, "mmol/L", "mmol/l")}},
		{"quantity comparator", obs(`"valueQuantity":{"value":5,"comparator":"<","unit":"mg"}`),
			"value-quantity", []Entry{idxQ("value-quantity", 5, -math.MaxFloat64, 5.5, "", "", "mg")}},
		{"quantity without value", obs(`"valueQuantity":{"unit":"mg"}`), "value-quantity", nil},
		{"money", `{"resourceType":"ChargeItem","status":"billable","code":{"text":"x"},"subject":{"reference":"Patient/1"},
			"priceOverride":{"value":40.00,"currency":"EUR"}}`,
			"price-override", []Entry{idxQ("price-override", 40, 39.995, 40.005, "urn:iso:std:iso:4217", "EUR", "EUR")}},
		{"range", `{"resourceType":"ActivityDefinition","status":"active","useContext":[{"code":{"code":"age"},
			"valueRange":{"low":{"value":18,"unit":"a","system":"` + idxUCUM + `","code":"a"},"high":{"value":65,"unit":"a"}}}]}`,
			"context-quantity", []Entry{idxQ("context-quantity", 18, 18, 65, idxUCUM, "a", "a")}},
		{"range open high", `{"resourceType":"ActivityDefinition","status":"active","useContext":[{"code":{"code":"age"},
			"valueRange":{"low":{"value":18}}}]}`,
			"context-quantity", []Entry{idxQ("context-quantity", 18, 18, math.MaxFloat64, "", "", "")}},
	})
}

func TestIndexComposite(t *testing.T) {
	weight := `{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"},{"system":"http://snomed.info/sct","code":"27113001"}]},
		"valueQuantity":{"value":72,"unit":"kg","system":"` + idxUCUM + `","code":"kg"}}`
	bp := `{"resourceType":"Observation","status":"final",
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
		"component":[
			{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":107,"system":"` + idxUCUM + `","code":"mm[Hg]"}},
			{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":60,"system":"` + idxUCUM + `","code":"mm[Hg]"}}]}`
	kg := idxQ("value-quantity", 72, 71.5, 72.5, idxUCUM, "kg", "kg")
	comp := func(p string, parts ...Entry) Entry { return Entry{Param: p, Kind: KindComposite, Components: parts} }
	sys := idxQ("component-value-quantity", 107, 106.5, 107.5, idxUCUM, "mm[Hg]", "")
	dia := idxQ("component-value-quantity", 60, 59.5, 60.5, idxUCUM, "mm[Hg]", "")
	comboSys, comboDia := sys, dia
	comboSys.Param, comboDia.Param = "combo-value-quantity", "combo-value-quantity"
	idxRun(t, []idxCase{
		{"code-value-quantity: one per coding", weight, "code-value-quantity", []Entry{
			comp("code-value-quantity", idxT("code", "http://loinc.org", "29463-7", ""), kg),
			comp("code-value-quantity", idxT("code", "http://snomed.info/sct", "27113001", ""), kg)}},
		{"component-code-value-quantity pairs within each component", bp, "component-code-value-quantity", []Entry{
			comp("component-code-value-quantity", idxT("component-code", "http://loinc.org", "8480-6", ""), sys),
			comp("component-code-value-quantity", idxT("component-code", "http://loinc.org", "8462-4", ""), dia)}},
		{"combo over the observation and its components", bp, "combo-code-value-quantity", []Entry{
			comp("combo-code-value-quantity", idxT("combo-code", "http://loinc.org", "8480-6", ""), comboSys),
			comp("combo-code-value-quantity", idxT("combo-code", "http://loinc.org", "8462-4", ""), comboDia)}},
		{"no value, no composite", `{"resourceType":"Observation","status":"final","code":{"coding":[{"code":"x"}]}}`,
			"code-value-quantity", nil},
		{"%resource component", `{"resourceType":"MolecularSequence","coordinateSystem":0,
			"referenceSeq":{"chromosome":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/chromosome-human","code":"1"}]}},
			"variant":[{"start":10,"end":12}]}`, "chromosome-variant-coordinate", []Entry{
			comp("chromosome-variant-coordinate",
				idxT("chromosome", "http://terminology.hl7.org/CodeSystem/chromosome-human", "1", ""),
				idxN("variant-start", 10, 10, 10), idxN("variant-end", 12, 12, 12))}},
	})
}
