package targets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestLabelsMarshalJSONKeepsFileOrder(t *testing.T) {
	tests := []struct {
		name   string
		labels Labels
		want   string
	}{
		{"none", nil, `{}`},
		{"order is not sorted", Labels{{"zeta", "z"}, {"alpha", "a"}, {"mid", "m"}}, `{"zeta":"z","alpha":"a","mid":"m"}`},
		{"every YAML type", Labels{
			{"s", "Joe <Biden> & co"}, {"i", 2024}, {"b", true}, {"f", 51.3}, {"n", nil},
			{"l", []any{"DE", 1}}, {"m", map[string]any{"b": 2, "a": 1}},
		}, `{"s":"Joe <Biden> & co","i":2024,"b":true,"f":51.3,"n":null,"l":["DE",1],"m":{"a":1,"b":2}}`},
		{"keys are escaped", Labels{{"say \"hi\"\n", "x"}}, `{"say \"hi\"\n":"x"}`},
		{"infinity and NaN become strings", Labels{{"inf", math.Inf(1)}, {"nan", []any{math.NaN()}}}, `{"inf":"+Inf","nan":"NaN"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.labels.MarshalJSON()
			if err != nil || string(got) != tt.want {
				t.Errorf("got %s, %v; want %s", got, err, tt.want)
			}
		})
	}
	t.Run("inside a struct", func(t *testing.T) {
		got, err := json.Marshal(struct {
			Labels Labels `json:"labels"`
		}{Labels{{"b", 1}, {"a", 2}}})
		if want := `{"labels":{"b":1,"a":2}}`; err != nil || string(got) != want {
			t.Errorf("got %s, %v; want %s", got, err, want)
		}
	})
}

func TestLabelsString(t *testing.T) {
	l := Labels{
		{"candidate", "Joe Biden"}, {"year", 2020}, {"incumbent", false}, {"share", 51.3},
		{"states", []any{"DE", "PA", 3}}, {"office", map[string]any{"title": "President", "level": "federal"}},
		{"note", nil}, {"nested", []any{map[string]any{"a": 1}, []any{"x", "y"}}},
	}
	tests := []struct {
		key  string
		want string
	}{
		{"candidate", "Joe Biden"},
		{"year", "2020"},
		{"incumbent", "false"},
		{"share", "51.3"},
		{"states", "DE;PA;3"},
		{"office", `{"level":"federal","title":"President"}`},
		{"note", ""},
		{"nested", `{"a":1};x;y`},
		{"missing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := l.String(tt.key); got != tt.want {
				t.Errorf("String(%q) = %q; want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestLabelsGetAndKeys(t *testing.T) {
	l := Labels{{"party", "D"}, {"year", 2024}}
	if v, ok := l.Get("year"); v != 2024 || !ok {
		t.Errorf("Get(year) = %v, %v; want 2024, true", v, ok)
	}
	if v, ok := l.Get("state"); v != nil || ok {
		t.Errorf("Get(state) = %v, %v; want nil, false", v, ok)
	}
	if got := strings.Join(l.Keys(), ","); got != "party,year" {
		t.Errorf("Keys() = %q; want party,year", got)
	}
}

// Labels read back from a report write the same bytes and format the same
// cells: diff and replay depend on it.
func TestLabelsUnmarshalJSONRoundTrips(t *testing.T) {
	in := Labels{
		{"zeta", "z"}, {"year", 2024}, {"big", uint64(math.MaxUint64)}, {"share", 51.3}, {"whole", 2020.0},
		{"b", true}, {"n", nil}, {"l", []any{"DE", 1, 2.5}}, {"m", map[string]any{"b": 2, "a": []any{1}}},
		{"exp", 1e21}, {"nan", math.NaN()}, {"ctl", "a\x1bb\u202e"},
	}
	b, err := in.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out Labels
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	b2, err := out.MarshalJSON()
	if err != nil || string(b2) != string(b) {
		t.Errorf("round trip:\n got %s, %v\nwant %s", b2, err, b)
	}
	for _, k := range in.Keys() {
		if got, want := out.String(k), in.String(k); got != want && k != "nan" {
			t.Errorf("cell %q: got %q; want %q", k, got, want)
		}
	}
	if v, _ := out.Get("year"); v != 2024 {
		t.Errorf("year is %T %v; want int 2024", v, v)
	}
	var none Labels
	if err := json.Unmarshal([]byte("null"), &none); err != nil || none != nil {
		t.Errorf("null: got %v, %v", none, err)
	}
	if err := json.Unmarshal([]byte(`["a"]`), &none); err == nil {
		t.Error("a JSON array was accepted as labels")
	}
}

func TestKeyOrderKeepsFirstSeenOrder(t *testing.T) {
	var o KeyOrder
	o.Add(Labels{{Key: "candidate"}, {Key: "party"}})
	o.Add(nil)
	o.Add(Labels{{Key: "office"}, {Key: "candidate"}, {Key: "party"}})
	if got := strings.Join(o.Keys, ","); got != "candidate,party,office" {
		t.Errorf("keys %s; want candidate,party,office", got)
	}
}
