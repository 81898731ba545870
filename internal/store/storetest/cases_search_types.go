package storetest

import (
	"github.com/housecall/housecall/internal/fhir/search"
)

func init() {
	register("SearchString", testSearchString)
	register("SearchToken", testSearchToken)
	register("SearchReference", testSearchReference)
	register("SearchDate", testSearchDate)
	register("SearchNumber", testSearchNumber)
	register("SearchQuantityComposite", testSearchQuantityComposite)
	register("SearchURI", testSearchURI)
	register("SearchID", testSearchID)
}

func testSearchString(f *fixture) {
	f.index("Patient", "p1", eStr("family", "Smith"), search.Entry{Param: "given", Kind: search.KindString, Norm: "zoe", Exact: "Zoë"})
	f.index("Patient", "p2", eStr("family", "Smithson"), eStr("given", "Zoey"))
	f.index("Patient", "p3", eStr("family", "O'Brien"), eStr("given", "Anna"), eStr("given", "Maria"))
	f.index("Patient", "p4")

	f.expect("Patient", "given=zo", "p1", "p2")
	f.expect("Patient", "given=ZOE", "p1", "p2")
	f.expect("Patient", "given=Zo%C3%AB", "p1", "p2") // accents fold: Zoë -> zoe
	f.expect("Patient", "given:exact=Zo%C3%AB", "p1")
	f.expect("Patient", "given:exact=zo%C3%AB")
	f.expect("Patient", "given:exact=Zoe")
	f.expect("Patient", "family:contains=MITH", "p1", "p2")
	f.expect("Patient", "family:contains=brie", "p3")
	f.expect("Patient", "family=smith", "p1", "p2")
	f.expect("Patient", "family:exact=Smith", "p1")
	f.expect("Patient", "given=maria", "p3")
	f.expect("Patient", "given=anna,zoey", "p2", "p3")
	f.expect("Patient", "given=anna&given=maria", "p3")
	f.expect("Patient", "given=anna&family=smith")
	f.expect("Patient", "given:missing=true", "p4")
	f.expect("Patient", "given:missing=false", "p1", "p2", "p3")
	f.expect("Patient", "family=o'b", "p3")
}

func testSearchToken(f *fixture) {
	const v2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
	f.index("Patient", "p1", eTok("gender", "", "female", ""),
		eTok("identifier", "urn:mrn", "A1", "medical record number"), eTok("identifier:of-type", v2, "MR", "A1"),
		eTok("active", "", "true", ""))
	f.index("Patient", "p2", eTok("gender", "", "male", ""),
		eTok("identifier", "urn:other", "A1", ""), eTok("identifier", "", "B2", ""), eTok("active", "", "false", ""))
	f.index("Patient", "p3", eTok("identifier", "urn:mrn", "a1", ""))

	f.expect("Patient", "gender=female", "p1")
	f.expect("Patient", "gender=female,male", "p1", "p2")
	f.expect("Patient", "gender:not=male", "p1", "p3") // :not includes resources without a value
	f.expect("Patient", "gender:not=male,female", "p3")
	f.expect("Patient", "gender:missing=true", "p3")
	f.expect("Patient", "gender:missing=false", "p1", "p2")
	f.expect("Patient", "identifier=A1", "p1", "p2") // codes are case-sensitive
	f.expect("Patient", "identifier=urn:mrn|A1", "p1")
	f.expect("Patient", "identifier=urn:mrn|", "p1", "p3")
	f.expect("Patient", "identifier=|B2", "p2")
	f.expect("Patient", "identifier=|A1")
	f.expect("Patient", "identifier:text=Medical%20rec", "p1")
	f.expect("Patient", "identifier:text=record")
	f.expect("Patient", "identifier:of-type="+v2+"|MR|A1", "p1")
	f.expect("Patient", "identifier:of-type="+v2+"|MR|B2")
	f.expect("Patient", "active=true", "p1")
	f.expect("Patient", "active:not=true", "p2", "p3")
	f.expect("Patient", "gender=male&active=false", "p2")
	f.expect("Patient", "gender=male&active=true")
}

func testSearchReference(f *fixture) {
	f.index("Observation", "o1", eRef("subject", "Patient", "p1"), eRef("patient", "Patient", "p1"))
	f.index("Observation", "o2", eRef("subject", "Group", "p1"))
	f.index("Observation", "o3", eRefURL("subject", "http://other.org/fhir/Patient/9", ""))
	f.index("Observation", "o4")
	f.index("Observation", "o5", search.Entry{Param: "subject", Kind: search.KindReference, RefType: "Patient", System: "urn:mrn", Code: "A1"})
	f.index("Observation", "o6", search.Entry{Param: "subject", Kind: search.KindReference, RefType: "Patient", RefID: "p1", RefVersion: "3"})

	f.expect("Observation", "subject=Patient/p1", "o1", "o6")
	f.expect("Observation", "subject=Patient/p1/_history/3", "o6")
	f.expect("Observation", "subject=p1", "o1", "o2", "o6")
	f.expect("Observation", "subject:Group=p1", "o2")
	f.expect("Observation", "subject:Patient=p1", "o1", "o6")
	f.expect("Observation", "subject=https://hc.example/fhir/r4/Patient/p1", "o1", "o6")
	f.expect("Observation", "subject=http://other.org/fhir/Patient/9", "o3")
	f.expect("Observation", "subject:identifier=urn:mrn|A1", "o5")
	f.expect("Observation", "subject:identifier=A1", "o5")
	f.expect("Observation", "subject:identifier=urn:x|A1")
	f.expect("Observation", "subject:missing=true", "o4")
	f.expect("Observation", "patient=p1", "o1")
	f.expect("Observation", "subject=Patient/p2")

	// Canonical references: without a version every version matches.
	f.index("QuestionnaireResponse", "q1", eRefURL("questionnaire", "http://q.org/Questionnaire/a|2.0", "2.0"))
	f.index("QuestionnaireResponse", "q2", eRefURL("questionnaire", "http://q.org/Questionnaire/a|3.0", "3.0"))
	f.index("QuestionnaireResponse", "q3", eRefURL("questionnaire", "http://q.org/Questionnaire/a", ""))
	f.index("QuestionnaireResponse", "q4", eRefURL("questionnaire", "http://q.org/Questionnaire/ab", ""))
	f.expect("QuestionnaireResponse", "questionnaire=http://q.org/Questionnaire/a", "q1", "q2", "q3")
	f.expect("QuestionnaireResponse", "questionnaire=http://q.org/Questionnaire/a|2.0", "q1")
}

func testSearchDate(f *fixture) {
	f.index("Patient", "p1", search.Entry{Param: "birthdate", Kind: search.KindDate, // "1980": the whole year
		DateLo: mustTime("1980-01-01T00:00:00Z").UnixMicro(), DateHi: mustTime("1981-01-01T00:00:00Z").UnixMicro() - 1})
	f.index("Patient", "p2", eDay("birthdate", "1980-06-15"))
	// 10:00:00+02:00 to the second is 08:00:00Z.
	f.index("Patient", "p3", eDate("birthdate", "1980-06-15T08:00:00Z", "1980-06-15T08:00:00.999999Z"))
	f.index("Patient", "p4", eDay("birthdate", "1981-01-01"))
	f.index("Patient", "p5")

	f.expect("Patient", "birthdate=1980", "p1", "p2", "p3")
	f.expect("Patient", "birthdate=1980-06-15", "p2", "p3")
	f.expect("Patient", "birthdate=1980-06-15T10:00:00%2B02:00", "p3")
	f.expect("Patient", "birthdate=1980-06-15T08:00:00Z", "p3")
	f.expect("Patient", "birthdate=1980-06-15T10:00:00Z")
	f.expect("Patient", "birthdate=1980-06-14T20:00:00-12:00", "p3") // 08:00Z the next day
	f.expect("Patient", "birthdate=gt1980-06-15", "p1", "p4")
	f.expect("Patient", "birthdate=lt1980-06-15", "p1")
	f.expect("Patient", "birthdate=ge1980-06-15", "p1", "p2", "p3", "p4")
	f.expect("Patient", "birthdate=le1980-06-15", "p1", "p2", "p3")
	f.expect("Patient", "birthdate=sa1980-06-15", "p4")
	f.expect("Patient", "birthdate=eb1980-06-15")
	f.expect("Patient", "birthdate=eb1981", "p1", "p2", "p3")
	f.expect("Patient", "birthdate=ne1980", "p4")
	f.expect("Patient", "birthdate=ne1980-06-15", "p1", "p4")
	f.expect("Patient", "birthdate=ge1981&birthdate=le1981", "p4")
	f.expect("Patient", "birthdate:missing=true", "p5")

	// Periods with an open end; ap is 10% of the distance to now (the
	// suite clock, March 2024).
	f.index("Encounter", "e1", eDate("date", "2024-01-01T10:00:00Z", ""))
	f.index("Encounter", "e2", eDate("date", "", "2023-06-01T00:00:00Z"))
	f.index("Encounter", "e3", eDay("date", "2024-02-03"))
	f.index("Encounter", "e4", eDay("date", "2024-02-10"))
	f.expect("Encounter", "date=gt2030", "e1")
	f.expect("Encounter", "date=lt1900", "e2")
	f.expect("Encounter", "date=2024-01-01")
	f.expect("Encounter", "date=ap2024-02-01", "e1", "e3")
	f.expect("Encounter", "date=ap2024-02-12", "e1", "e4")

	// Ranges of every span class (a minute, a day, a month, a year, longer)
	// against date ranges: a ge/lt pair on the single-valued Encounter.date
	// is answered as one range.
	f.index("Encounter", "r1", eDate("date", "2024-03-10T09:00:00Z", "2024-03-10T09:01:00Z"))
	f.index("Encounter", "r2", eDay("date", "2024-02-29"))
	f.index("Encounter", "r3", eDate("date", "2024-02-01T00:00:00Z", "2024-03-01T12:00:00Z"))
	f.index("Encounter", "r4", eDate("date", "2023-04-01T00:00:00Z", "2024-03-02T00:00:00Z"))
	f.index("Encounter", "r5", eDate("date", "2019-01-01T00:00:00Z", "2024-03-05T00:00:00Z"))
	f.index("Encounter", "r6", eDate("date", "2019-01-01T00:00:00Z", "2024-02-28T00:00:00Z"))
	// r3 ends within 2024-03-01: not above it, and not contained in it.
	f.expect("Encounter", "date=ge2024-03-01&date=lt2024-04-01", "e1", "r1", "r4", "r5")
	f.expect("Encounter", "date=lt2024-04-01&date=ge2024-03-01&date=ne2024-03-10", "e1", "r4", "r5")
	f.expect("Encounter", "date=ge2024-02-29&date=le2024-02-29", "e1", "r2", "r3", "r4", "r5")
	f.expect("Encounter", "date=ge2024-03-03&date=lt2024-03-04", "e1", "r5")
	f.expect("Encounter", "date=gt2024-03-20&date=lt2024-03-01", "e1") // only the open period spans both
	// Goal.target.due is repeating: one target may satisfy ge, another lt.
	f.index("Goal", "g1", eDay("target-date", "2024-01-05"), eDay("target-date", "2024-06-05"))
	f.expect("Goal", "target-date=gt2024-03-01&target-date=lt2024-02-01", "g1")
}

func testSearchNumber(f *fixture) {
	f.index("RiskAssessment", "r1", eNum("probability", 0.5, 0.45, 0.55))
	f.index("RiskAssessment", "r2", eNum("probability", 100, 99.5, 100.5))
	f.index("RiskAssessment", "r3", eNum("probability", 100.4, 100.35, 100.45))
	f.index("RiskAssessment", "r4", eNum("probability", 7, 7, 7))
	f.index("RiskAssessment", "r5")

	f.expect("RiskAssessment", "probability=100", "r2", "r3")
	f.expect("RiskAssessment", "probability=100.0", "r2")
	f.expect("RiskAssessment", "probability=1e2", "r2", "r3")
	f.expect("RiskAssessment", "probability=gt100", "r3")
	f.expect("RiskAssessment", "probability=ge100", "r2", "r3")
	f.expect("RiskAssessment", "probability=lt1", "r1")
	f.expect("RiskAssessment", "probability=le7", "r1", "r4")
	f.expect("RiskAssessment", "probability=ne100", "r1", "r4")
	f.expect("RiskAssessment", "probability=ap100", "r2", "r3")
	f.expect("RiskAssessment", "probability=ap7.5", "r4")
	f.expect("RiskAssessment", "probability=sa100", "r3")
	f.expect("RiskAssessment", "probability=eb1", "r1")
	f.expect("RiskAssessment", "probability=7,0.5", "r1", "r4")
	f.expect("RiskAssessment", "probability:missing=true", "r5")
}

func testSearchQuantityComposite(f *fixture) {
	const ucum, loinc = "http://unitsofmeasure.org", "http://loinc.org"
	f.index("Observation", "o1", eQty("value-quantity", 5.4, ucum, "mg", "mg"),
		eComp("code-value-quantity", eTok("code", loinc, "123", ""), eQty("value-quantity", 5.4, ucum, "mg", "mg")))
	f.index("Observation", "o2", eQty("value-quantity", 5.4, ucum, "mmol/L", "mmol/l"),
		eComp("code-value-quantity", eTok("code", loinc, "456", ""), eQty("value-quantity", 5.4, ucum, "mmol/L", "mmol/l")))
	f.index("Observation", "o3", eQty("value-quantity", 120, ucum, "mm[Hg]", "mmHg"))
	// Two components: each pair matches only with its own value.
	f.index("Observation", "o4",
		eComp("code-value-quantity", eTok("code", loinc, "123", ""), eQty("value-quantity", 1, ucum, "mg", "mg")),
		eComp("code-value-quantity", eTok("code", loinc, "456", ""), eQty("value-quantity", 200, ucum, "mg", "mg")))

	f.expect("Observation", "value-quantity=5.4|"+ucum+"|mg", "o1")
	f.expect("Observation", "value-quantity=5.4||mg", "o1")
	f.expect("Observation", "value-quantity=5.4||mmol/l", "o2") // the human-readable unit
	f.expect("Observation", "value-quantity=5.4", "o1", "o2")
	f.expect("Observation", "value-quantity=gt100", "o3")
	f.expect("Observation", "value-quantity=lt100|"+ucum+"|mm[Hg]")
	f.expect("Observation", "code-value-quantity="+loinc+"|123$5.4", "o1")
	f.expect("Observation", "code-value-quantity="+loinc+"|123$gt100")
	f.expect("Observation", "code-value-quantity="+loinc+"|456$gt100", "o4")
	f.expect("Observation", "code-value-quantity="+loinc+"|456$gt100,"+loinc+"|123$lt2", "o4")
	f.expect("Observation", "code-value-quantity=123$lt10", "o1", "o4")
	f.expect("Observation", "code-value-quantity:missing=true", "o3")
}

func testSearchURI(f *fixture) {
	f.index("ValueSet", "v1", eURI("url", "http://acme.org/fhir/ValueSet/123"))
	f.index("ValueSet", "v2", eURI("url", "http://acme.org/fhir/ValueSet/124"))
	f.index("ValueSet", "v3", eURI("url", "http://other.org/x"))
	f.index("ValueSet", "v4", eURI("url", "http://acme.org/fhir"))
	f.expect("ValueSet", "url=http://acme.org/fhir/ValueSet/123", "v1")
	f.expect("ValueSet", "url=http://acme.org/fhir/ValueSet/12")
	f.expect("ValueSet", "url:below=http://acme.org/fhir/", "v1", "v2")
	f.expect("ValueSet", "url:below=http://acme.org/fhir", "v1", "v2", "v4")
	f.expect("ValueSet", "url:above=http://acme.org/fhir/ValueSet/123/_history/5", "v1", "v4")

	f.index("Patient", "p1", eURI("_profile", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"),
		eTok("_tag", "urn:tags", "vip", ""), eTok("_security", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", ""),
		eURI("_source", "urn:source:a"))
	f.index("Patient", "p2", eTok("_tag", "urn:tags", "test", ""))
	f.expect("Patient", "_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient", "p1")
	f.expect("Patient", "_tag=urn:tags|vip", "p1")
	f.expect("Patient", "_tag=test", "p2")
	f.expect("Patient", "_security=R", "p1")
	f.expect("Patient", "_source=urn:source:a", "p1")
}

func testSearchID(f *fixture) {
	for _, id := range []string{"a", "b", "c"} {
		// _id entries from the indexer are ignored: the store answers _id.
		f.index("Patient", id, eTok("_id", "", "wrong", ""))
	}
	f.index("Observation", "a")
	f.expect("Patient", "_id=a,c", "a", "c")
	f.expect("Patient", "_id=wrong")
	f.expect("Patient", "_id:not=b", "a", "c")
	f.expect("Patient", "", "a", "b", "c")
	f.expect("Patient", "_id=a&_id=b")
	f.mustWrite(del("Patient", "c"))
	f.expect("Patient", "_id=a,c", "a")
	f.expect("Patient", "", "a", "b")
}
