// Package evidence writes and reads mxscope's evidence file: every DNS
// answer a scan's verdicts used, and the one HTTPS response they used (the
// MTA-STS policy), as JSON Lines, so that a reporter can cite what DNS and
// the policy host said and when, and `mxscope replay` can derive every
// result again with no network at all, through the same scanner code.
//
// The file is one meta line, then for each target, in input order, the
// answer lines its lookups need that are not already in the window (see
// below), its https lines, and its target line, then one end line:
//
//	{"type":"meta","format":"mxscope-evidence","format_version":1,...}
//	{"type":"answer","name":"example.com","qtype":"MX","status":"ok",...}
//	{"type":"https","url":"https://mta-sts.example.com/.well-known/mta-sts.txt","status_code":200,...}
//	{"type":"target","n":1,"domain":"example.com","questions":[["example.com","MX"],...]}
//	{"type":"end","targets":1,"answers":1,"https":1,"complete":true,...}
//
// An https line belongs to the target line that follows it: a fetch is of
// one domain's policy host, so no other target shares it, and it is never
// in the window. A target's fetch is answered by the https line of its URL
// among them.
//
// A target's questions are answered by the latest answer line for that
// question among the window: the answer lines since the previous target
// line, and before them the most recent ones up to Meta.Window lines and
// Meta.WindowBytes bytes (each line's length without its newline). A name
// shared by many domains (_spf.google.com) is therefore written once per
// window rather than once per domain, and a reader holds no more than the
// window, however long the scan.
//
// What it promises: a Reader gives each target exactly the answers and
// responses the Writer was given for it; a question or a fetch the file
// does not answer is a failure (ErrNotRecorded), never an invented record; a malformed or hostile file
// fails with its line number or fails one lookup, never the process, and
// never holds more than the window and one target's answers in memory.
package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Format and Version identify the file. A reader refuses a file whose
// format_version is newer than Version; additions that old readers can
// ignore (a new field, a new line type) keep the version. The https line
// was such an addition: a reader from before it skips the line and
// replays the policy as not fetched, which is what it was to that reader.
const (
	Format  = "mxscope-evidence"
	Version = 1
)

// Window sizes the Writer uses, and the most a Reader accepts.
const (
	DefaultWindow      = 8192     // answer lines, the scan cache's size
	DefaultWindowBytes = 16 << 20 // bytes of answer lines
	MaxWindow          = 1 << 20
	MaxWindowBytes     = 64 << 20
	// MaxLine caps one line. An answer is at most one DNS message (64 KiB
	// over TCP), a few times longer in presentation form and JSON.
	MaxLine = 1 << 20
	// MaxBlockBytes caps the answer lines written for one target; a target
	// whose answers need more is marked truncated.
	MaxBlockBytes = 64 << 20
)

// Sentinel errors.
var (
	// ErrNotRecorded: replay asked a question the evidence does not answer
	// (a newer mxscope asks more, or the file was cut).
	ErrNotRecorded = errors.New("evidence: no answer recorded")
	// ErrUnreadable: an answer line is there but cannot be read back.
	ErrUnreadable = errors.New("evidence: unreadable answer")
	// ErrFormat: the file is not an evidence file this mxscope can read.
	ErrFormat = errors.New("evidence: not an mxscope evidence file")
)

// Meta is the first line: what scan the evidence comes from.
type Meta struct {
	Format        string    `json:"format"`
	FormatVersion int       `json:"format_version"`
	Tool          string    `json:"tool"`
	Version       string    `json:"version"`   // of the mxscope that scanned
	Catalog       string    `json:"catalog"`   // provider catalog version of that scan
	Checks        string    `json:"checks"`    // the scan's --checks, canonical
	Resolvers     []string  `json:"resolvers"` // the resolvers asked, "ip:port"
	Started       time.Time `json:"started"`   // UTC
	Targets       int       `json:"targets"`   // targets the scan set out to look at
	Window        int       `json:"window"`
	WindowBytes   int       `json:"window_bytes"`
	// TargetsSHA256 is the scan report's targets_sha256 (scanner.Meta),
	// so that a replay's report identifies the same targets list.
	TargetsSHA256 string `json:"targets_sha256,omitempty"`
	// Shard is "K/N" when the scan covered one shard of the list
	// (scanner.Meta.Shard).
	Shard string `json:"shard,omitempty"`
}

// End is the last line. A file without one was cut short.
type End struct {
	Targets  int       `json:"targets"`         // target lines written
	Answers  int       `json:"answers"`         // answer lines written
	HTTPS    int       `json:"https,omitempty"` // https lines written
	Finished time.Time `json:"finished"`
	Complete bool      `json:"complete"` // false: the scan was interrupted
}

// Question is what was asked: name (lower case, no trailing dot, bytes
// outside printable ASCII written \DDD as in zone files), type, and the
// query flags that change the answer. In JSON it is [name, type], with a
// third element "cd" for a question sent with the Checking Disabled bit.
type Question struct {
	Name string
	Type uint16
	CD   bool
}

// MarshalJSON writes ["name","TYPE"] or ["name","TYPE","cd"].
func (q Question) MarshalJSON() ([]byte, error) {
	var e lineEncoder
	b := e.str([]byte{'['}, q.Name)
	b = e.str(append(b, ','), typeString(q.Type))
	if q.CD {
		b = append(b, `,"cd"`...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (q *Question) UnmarshalJSON(b []byte) error {
	var v []string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if len(v) < 2 || len(v) > 3 || len(v) == 3 && v[2] != "cd" {
		return fmt.Errorf("a question is [name, type] or [name, type, \"cd\"], not %s", b)
	}
	t, ok := parseType(v[1])
	if !ok {
		return fmt.Errorf("unknown query type %q", v[1])
	}
	*q = Question{Name: KeyName(v[0]), Type: t, CD: len(v) == 3}
	return nil
}

// String reads "example.com MX".
func (q Question) String() string {
	s := q.Name + " " + typeString(q.Type)
	if q.CD {
		s += " +cd"
	}
	return s
}

// KeyName is a name as evidence keys it: ASCII lower case, no trailing
// dot, and bytes outside printable ASCII escaped \DDD (the zone-file form of
// the same name), so that any name a lookup asks survives JSON unchanged.
func KeyName(name string) string {
	if len(name) > 1 {
		name = strings.TrimSuffix(name, ".")
	}
	plain := true
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c >= 0x7f || 'A' <= c && c <= 'Z' {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return "TYPE" + strconv.Itoa(int(t))
}

func parseType(s string) (uint16, bool) {
	if t, ok := dns.StringToType[s]; ok {
		return t, true
	}
	if n, ok := strings.CutPrefix(s, "TYPE"); ok {
		if v, err := strconv.ParseUint(n, 10, 16); err == nil {
			return uint16(v), true
		}
	}
	return 0, false
}

// marshalLine encodes v as one line of JSON without HTML escaping, with a
// leading "type" key, and without the newline.
func marshalLine(typ string, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	t := `{"type":"` + typ + `"`
	if string(b) == "{}" {
		return []byte(t + "}"), nil
	}
	return append([]byte(t+","), b[1:]...), nil
}
