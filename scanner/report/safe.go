package report

// SafeJSON makes encoding/json output as safe on a terminal as every JSON
// format here: C1 controls and invisible characters become \u escapes too
// (see jsonSafe), without changing the data. Other writers of JSON that
// people read, such as the evidence file, use it.
func SafeJSON(b []byte) []byte { return jsonSafe(b) }
