package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/mtasts"
)

// httpsLine is an HTTPS request as the file holds it: the MTA-STS policy
// fetch, the one request a scan makes that is not DNS. It belongs to the
// target line that follows it.
type httpsLine struct {
	URL           string      `json:"url"`
	Dialled       []string    `json:"dialled,omitempty"`   // addresses dialled, in order
	Connected     string      `json:"connected,omitempty"` // the one that took the connection
	StatusCode    int         `json:"status_code,omitempty"`
	ContentType   *octets     `json:"content_type,omitempty"`
	Location      *octets     `json:"location,omitempty"`
	Body          *octets     `json:"body,omitempty"`
	BodyTruncated bool        `json:"body_truncated,omitempty"` // the server sent more than the 64 KiB read
	Class         string      `json:"class,omitempty"`          // how the fetch failed
	Error         string      `json:"error,omitempty"`          // the failure, as the report says it
	TLS           *tlsLine    `json:"tls,omitempty"`
	Time          string      `json:"time,omitempty"` // RFC 3339 UTC, when the request began
	LatencyMS     json.Number `json:"latency_ms,omitempty"`
}

type tlsLine struct {
	ServerName string `json:"server_name"`
	Version    string `json:"version,omitempty"`
	Verified   bool   `json:"verified"`
	Error      string `json:"error,omitempty"`
}

// octets are bytes as the network gave them: a JSON string when they are
// UTF-8 (JSON escapes control characters, so the string reads back byte
// for byte), and {"base64": "..."} when they are not, which a string could
// not carry unchanged.
type octets []byte

// del is DEL, which encoding/json leaves raw in a string; no byte of a
// multi-byte UTF-8 sequence is 0x7f, so every one is the string's own.
var del, escapedDEL = []byte{0x7f}, []byte(`\u007f`)

func (o octets) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var err error
	if utf8.Valid(o) {
		err = enc.Encode(string(o))
	} else {
		err = enc.Encode(struct {
			B64 string `json:"base64"`
		}{base64.StdEncoding.EncodeToString(o)})
	}
	return bytes.ReplaceAll(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), del, escapedDEL), err
}

func (o *octets) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*o = octets(s)
		return nil
	}
	var v struct {
		B64 *string `json:"base64"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.B64 == nil {
		return errors.New(`bytes are a string or {"base64": "..."}`)
	}
	d, err := base64.StdEncoding.DecodeString(*v.B64)
	if err != nil {
		return fmt.Errorf("base64: %v", err)
	}
	*o = d
	return nil
}

func optOctets(s string) *octets {
	if s == "" {
		return nil
	}
	o := octets(s)
	return &o
}

// maxHTTPSText bounds the error texts of an https line read back. The
// scan's own are one line of a few hundred bytes.
const maxHTTPSText = 1024

// maxBlockHTTPS caps the https lines before one target line: the scanner
// keeps at most scanner.MaxFetches a target.
const maxBlockHTTPS = scanner.MaxFetches

// encodeHTTPS is the line for one fetch, without its newline.
func encodeHTTPS(r mtasts.Response) ([]byte, error) {
	l := httpsLine{
		URL: r.URL, StatusCode: r.StatusCode, BodyTruncated: r.BodyTruncated,
		ContentType: optOctets(r.ContentType), Location: optOctets(r.Location),
		Class: string(r.Class), Error: r.Err,
	}
	for _, a := range r.Dialled {
		l.Dialled = append(l.Dialled, a.String())
	}
	if r.Connected.IsValid() {
		l.Connected = r.Connected.String()
	}
	if r.Body != nil {
		b := octets(r.Body)
		l.Body = &b
	}
	if t := r.TLS; t != nil {
		l.TLS = &tlsLine{ServerName: t.ServerName, Version: t.Version, Verified: t.Verified, Error: t.Err}
	}
	if !r.Time.IsZero() {
		l.Time = r.Time.UTC().Format(time.RFC3339Nano)
		l.LatencyMS = json.Number(strconv.FormatFloat(float64(r.Latency.Microseconds())/1000, 'f', 3, 64))
	}
	return marshalLine("https", l)
}

// httpsURL reads the url of an https line, which every line must have.
func httpsURL(b []byte) (string, error) {
	var l struct {
		URL *string `json:"url"`
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return "", err
	}
	if l.URL == nil || *l.URL == "" {
		return "", errors.New("no url")
	}
	return *l.URL, nil
}

// decodeHTTPS reads an https line back into the Response the scan had. A
// line that cannot be read back, or holds more than a fetch can (a body
// past 64 KiB, an unknown class, a status code no server sends), gives a
// Response that failed, wrapping nothing made up: the replay's policy is
// temperror with the reason.
func decodeHTTPS(b []byte, url, where string) mtasts.Response {
	bad := func(err error) mtasts.Response {
		return mtasts.Response{URL: url, Class: mtasts.ClassNotRecorded,
			Err: fmt.Sprintf("not fetched: %v: %s: %v", ErrUnreadable, where, err)}
	}
	var l httpsLine
	if err := json.Unmarshal(b, &l); err != nil {
		return bad(err)
	}
	r := mtasts.Response{URL: l.URL, StatusCode: l.StatusCode, BodyTruncated: l.BodyTruncated,
		Class: mtasts.Class(l.Class), Err: l.Error}
	switch {
	case r.Class != "" && !r.Class.Known():
		return bad(fmt.Errorf("unknown class %q", l.Class))
	case r.Class == "" && (l.StatusCode < 100 || l.StatusCode > 999):
		return bad(fmt.Errorf("status code %d", l.StatusCode))
	case r.Class != "" && l.StatusCode != 0 && (l.StatusCode < 100 || l.StatusCode > 999):
		return bad(fmt.Errorf("status code %d", l.StatusCode))
	case len(l.Error) > maxHTTPSText || l.TLS != nil && len(l.TLS.Error) > maxHTTPSText:
		return bad(fmt.Errorf("an error text longer than %d bytes", maxHTTPSText))
	}
	if l.Body != nil {
		if len(*l.Body) > mtasts.MaxPolicySize {
			return bad(fmt.Errorf("a body of %d bytes, past the %d a fetch reads", len(*l.Body), mtasts.MaxPolicySize))
		}
		r.Body = []byte(*l.Body)
	}
	if l.ContentType != nil {
		r.ContentType = string(*l.ContentType)
	}
	if l.Location != nil {
		r.Location = string(*l.Location)
	}
	for _, s := range l.Dialled {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return bad(err)
		}
		r.Dialled = append(r.Dialled, a)
	}
	if l.Connected != "" {
		a, err := netip.ParseAddr(l.Connected)
		if err != nil {
			return bad(err)
		}
		r.Connected = a
	}
	if t := l.TLS; t != nil {
		r.TLS = &mtasts.TLS{ServerName: t.ServerName, Version: t.Version, Verified: t.Verified, Err: t.Error}
	}
	if l.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, l.Time)
		if err != nil {
			return bad(err)
		}
		r.Time = t
	}
	if l.LatencyMS != "" {
		ms, err := l.LatencyMS.Float64()
		if err != nil {
			return bad(err)
		}
		r.Latency = time.Duration(ms * float64(time.Millisecond))
	}
	return r
}
