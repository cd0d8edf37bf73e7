package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/miekg/dns"

	"github.com/mxscope/mxscope/scanner/resolve"
)

// answerLine is an answer as the file holds it.
type answerLine struct {
	Name      string      `json:"name"`
	QType     string      `json:"qtype"`
	CD        bool        `json:"cd,omitempty"`
	Status    string      `json:"status"`
	Rcode     string      `json:"rcode,omitempty"`     // absent when no reply came
	Server    string      `json:"server,omitempty"`    // the resolver that answered, or was asked last
	Transport string      `json:"transport,omitempty"` // udp or tcp; absent when nothing was sent
	AD        bool        `json:"ad,omitempty"`
	TC        bool        `json:"tc,omitempty"`
	Time      string      `json:"time,omitempty"`       // RFC 3339 UTC, when the question was sent
	LatencyMS json.Number `json:"latency_ms,omitempty"` // milliseconds, to the microsecond
	Records   []string    `json:"records,omitempty"`    // presentation form, with TTLs
	CNAMEs    []string    `json:"cnames,omitempty"`     // the CNAME chain followed
	Error     string      `json:"error,omitempty"`      // why it failed, as the scan reported it
}

// encodeAnswer is the line for the answer to q.
func encodeAnswer(q Question, a resolve.Answer) ([]byte, error) {
	var e lineEncoder
	return e.answer(nil, answerLineOf(q, a)), nil
}

// answerLineOf is the answer to q as the file holds it.
func answerLineOf(q Question, a resolve.Answer) *answerLine {
	l := answerLine{
		Name:   q.Name,
		QType:  typeString(q.Type),
		CD:     q.CD,
		Status: string(a.Status),
		Server: a.Server,
		AD:     a.AD,
		TC:     a.TC,
		CNAMEs: a.CNAMEs,
	}
	if a.Rcode != resolve.NoRcode {
		l.Rcode = rcodeString(a.Rcode)
	}
	if a.Server != "" {
		l.Transport = "udp"
		if a.TCP {
			l.Transport = "tcp"
		}
	}
	if !a.Time.IsZero() {
		l.Time = a.Time.UTC().Format(time.RFC3339Nano)
		l.LatencyMS = json.Number(strconv.FormatFloat(float64(a.Latency.Microseconds())/1000, 'f', 3, 64))
	}
	for _, rr := range a.Records {
		l.Records = append(l.Records, rr.String())
	}
	if a.Err != nil {
		l.Error = a.Err.Error()
	}
	return &l
}

// decodeAnswer reads an answer line back into the Answer the scan had. A
// line that cannot be read back gives a failed Answer wrapping
// ErrUnreadable: the lookup fails, nothing is made up.
func decodeAnswer(b []byte, where string) resolve.Answer {
	var l answerLine
	if err := json.Unmarshal(b, &l); err != nil {
		return unreadable(where, err)
	}
	a := resolve.Answer{Status: resolve.Status(l.Status), Rcode: resolve.NoRcode, Server: l.Server,
		TCP: l.Transport == "tcp", AD: l.AD, TC: l.TC, CNAMEs: l.CNAMEs}
	switch a.Status {
	case resolve.StatusOK, resolve.StatusNoData, resolve.StatusNXDomain:
	case resolve.StatusServFail, resolve.StatusRefused, resolve.StatusTimeout, resolve.StatusError:
		a.Err = &recordedError{text: l.Error, status: a.Status}
	default:
		return unreadable(where, fmt.Errorf("unknown status %q", l.Status))
	}
	if l.Rcode != "" {
		rc, ok := parseRcode(l.Rcode)
		if !ok {
			return unreadable(where, fmt.Errorf("unknown rcode %q", l.Rcode))
		}
		a.Rcode = rc
	}
	if l.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil {
			return unreadable(where, err)
		}
		a.Time = t
	}
	if l.LatencyMS != "" {
		ms, err := l.LatencyMS.Float64()
		if err != nil {
			return unreadable(where, err)
		}
		a.Latency = time.Duration(ms * float64(time.Millisecond))
	}
	for i, s := range l.Records {
		rr, err := dns.NewRR(s)
		if err != nil || rr == nil {
			if err == nil {
				err = errors.New("empty record")
			}
			return unreadable(where, fmt.Errorf("record %d: %w", i+1, err))
		}
		a.Records = append(a.Records, rr)
	}
	if a.Status == resolve.StatusOK && len(a.Records) == 0 {
		return unreadable(where, errors.New("status ok without records"))
	}
	return a
}

func unreadable(where string, err error) resolve.Answer {
	return resolve.Answer{Status: resolve.StatusError, Rcode: resolve.NoRcode, Err: fmt.Errorf("%w: %s: %v", ErrUnreadable, where, err)}
}

// recordedError is a failure as the scan reported it: the same text, so a
// replayed row reads exactly as the scanned one, and the sentinel of its
// status for errors.Is.
type recordedError struct {
	text   string
	status resolve.Status
}

func (e *recordedError) Error() string {
	if e.text == "" {
		return string(e.status)
	}
	return e.text
}

func (e *recordedError) Unwrap() error {
	switch e.status {
	case resolve.StatusTimeout:
		return resolve.ErrTimeout
	case resolve.StatusServFail:
		return resolve.ErrServFail
	case resolve.StatusRefused:
		return resolve.ErrRefused
	}
	return nil
}

func rcodeString(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

func parseRcode(s string) (int, bool) {
	if rc, ok := dns.StringToRcode[s]; ok {
		return rc, true
	}
	if n, ok := cutPrefix(s, "RCODE"); ok {
		if v, err := strconv.ParseUint(n, 10, 12); err == nil {
			return int(v), true
		}
	}
	return 0, false
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}
