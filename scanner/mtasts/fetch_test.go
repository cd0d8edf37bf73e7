package mtasts_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxscope/mxscope/scanner/mtasts"
	"github.com/mxscope/mxscope/scanner/mtasts/ststest"
)

const enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx1.good.example\r\nmx: *.good.example\r\nmax_age: 604800\r\n"

var loopback = []netip.Addr{netip.MustParseAddr("127.0.0.1")}

// policyHosts serves every case of TestFetch from one server whose
// certificate names every policy host.
func policyHosts() ststest.Hosts {
	return ststest.Hosts{
		"mta-sts.good.example":     {Body: enforce},
		"mta-sts.testing.example":  {Body: strings.ReplaceAll(enforce, "enforce", "testing")},
		"mta-sts.redirect.example": {Status: http.StatusMovedPermanently, Location: "https://elsewhere.example/.well-known/mta-sts.txt", Body: enforce},
		"mta-sts.error.example":    {Status: http.StatusInternalServerError, Body: "oops"},
		"mta-sts.html.example":     {ContentType: "text/html", Body: enforce},
		"mta-sts.notype.example":   {ContentType: "-", Body: enforce},
		"mta-sts.broken.example":   {Body: "version: STSv1\nmode: enforce\nmax_age: 1\n"},
		"mta-sts.large.example":    {Body: enforce + strings.Repeat("x-pad: y\n", mtasts.MaxPolicySize/9+1)},
		"mta-sts.slow.example":     {Body: enforce, Delay: 5 * time.Second},
		// "mta-sts.gone.example" is not served: 404.
	}
}

var policyNames = []string{
	"mta-sts.good.example", "mta-sts.testing.example", "mta-sts.redirect.example", "mta-sts.error.example",
	"mta-sts.html.example", "mta-sts.notype.example", "mta-sts.broken.example", "mta-sts.large.example",
	"mta-sts.slow.example", "mta-sts.gone.example",
}

func TestFetch(t *testing.T) {
	ca := ststest.NewCA(t)
	srv := ca.Serve(t, policyHosts(), policyNames...)
	wrongName := ca.Serve(t, policyHosts(), "www.good.example")
	otherCA := ststest.NewCA(t).Serve(t, policyHosts(), policyNames...)
	closed := closedPort(t)

	tests := []struct {
		name   string
		domain string
		port   int
		addrs  []netip.Addr
		status mtasts.Status
		mode   mtasts.Mode
		err    string // a substring of Result.Err
	}{
		{"enforce", "good.example", srv.Port(), loopback, mtasts.StatusOK, mtasts.ModeEnforce, ""},
		{"testing", "testing.example", srv.Port(), loopback, mtasts.StatusOK, mtasts.ModeTesting, ""},
		{"the next address when the first refuses", "good.example", srv.Port(),
			[]netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")}, mtasts.StatusOK, mtasts.ModeEnforce, ""},
		{"certificate for another name", "good.example", wrongName.Port(), loopback, mtasts.StatusUnreachable, "", "certificate"},
		{"certificate from an untrusted CA", "good.example", otherCA.Port(), loopback, mtasts.StatusUnreachable, "", "certificate"},
		{"redirect not followed", "redirect.example", srv.Port(), loopback, mtasts.StatusUnreachable, "", "redirect"},
		{"server error", "error.example", srv.Port(), loopback, mtasts.StatusUnreachable, "", "HTTP 500"},
		{"nothing there (404)", "gone.example", srv.Port(), loopback, mtasts.StatusNone, "", "404"},
		{"connection refused", "good.example", closed, loopback, mtasts.StatusUnreachable, "", "refused"},
		{"no address", "good.example", srv.Port(), nil, mtasts.StatusNone, "", "no address"},
		{"served as HTML", "html.example", srv.Port(), loopback, mtasts.StatusInvalid, "", "text/html"},
		{"no content type", "notype.example", srv.Port(), loopback, mtasts.StatusInvalid, "", "text/plain"},
		{"policy without mx", "broken.example", srv.Port(), loopback, mtasts.StatusInvalid, "", "mx"},
		{"larger than 64 KiB", "large.example", srv.Port(), loopback, mtasts.StatusInvalid, "64 KiB", "64 KiB"},
		{"too slow: a temperror, never unreachable", "slow.example", srv.Port(), loopback, mtasts.StatusTemperror, "", "no answer within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mtasts.NewFetcher(mtasts.Config{Roots: ca.Pool(), Port: tt.port, Timeout: 500 * time.Millisecond})
			res := f.Fetch(context.Background(), tt.domain, tt.addrs)
			if res.Status != tt.status {
				t.Fatalf("status %s (%s); want %s", res.Status, res.Err, tt.status)
			}
			if res.URL != "https://mta-sts."+tt.domain+"/.well-known/mta-sts.txt" {
				t.Errorf("URL %q", res.URL)
			}
			if tt.status == mtasts.StatusOK {
				if res.Policy == nil || res.Policy.Mode != tt.mode || res.Err != "" {
					t.Fatalf("policy %+v, error %q; want mode %s", res.Policy, res.Err, tt.mode)
				}
				return
			}
			if !strings.Contains(res.Err, tt.err) {
				t.Errorf("error %q; want it to mention %q", res.Err, tt.err)
			}
		})
	}
}

func TestFetchStopsWithTheContext(t *testing.T) {
	ca := ststest.NewCA(t)
	srv := ca.Serve(t, policyHosts(), policyNames...)
	f := mtasts.NewFetcher(mtasts.Config{Roots: ca.Pool(), Port: srv.Port(), Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan mtasts.Result, 1)
	go func() { done <- f.Fetch(ctx, "slow.example", loopback) }()
	select {
	case res := <-done:
		if res.Status != mtasts.StatusTemperror {
			t.Errorf("status %s (%s); want temperror", res.Status, res.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Fetch did not return when its context ended")
	}
}

// TestSystemRootsHonourSSLCertFile runs this test binary again with
// SSL_CERT_FILE naming the test CA: a Fetcher with no Roots of its own must
// then trust it, and must not without it. A child process, because Go
// reads the system roots once per process.
func TestSystemRootsHonourSSLCertFile(t *testing.T) {
	if port := os.Getenv("MTASTS_TEST_CHILD_PORT"); port != "" {
		p, _ := strconv.Atoi(port)
		res := mtasts.NewFetcher(mtasts.Config{Port: p, Timeout: 5 * time.Second}).Fetch(context.Background(), "good.example", loopback)
		os.Stdout.WriteString("status=" + string(res.Status) + "\n")
		return
	}
	ca := ststest.NewCA(t)
	srv := ca.Serve(t, policyHosts(), policyNames...)
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, ca.PEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"SSL_CERT_FILE=" + file, "SSL_CERT_DIR=" + t.TempDir()}, "status=ok"},
		{[]string{"SSL_CERT_DIR=" + t.TempDir()}, "status=unreachable"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSystemRootsHonourSSLCertFile$", "-test.count=1")
		cmd.Env = append(os.Environ(), append(tt.env, "MTASTS_TEST_CHILD_PORT="+strconv.Itoa(srv.Port()))...)
		if !strings.Contains(strings.Join(tt.env, " "), "SSL_CERT_FILE") {
			cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+filepath.Join(t.TempDir(), "none.pem"))
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), tt.want) {
			t.Errorf("with %v the child says:\n%s\nwant %s", tt.env, out, tt.want)
		}
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Get records the exchange as it happened, judging nothing: what an
// evidence file keeps and a replay judges again.
func TestGetRecordsTheExchange(t *testing.T) {
	ca := ststest.NewCA(t)
	srv := ca.Serve(t, policyHosts(), policyNames...)
	wrongName := ca.Serve(t, policyHosts(), "www.good.example")
	refusing := netip.MustParseAddr("127.0.0.2")
	get := func(port int, domain string, addrs ...netip.Addr) mtasts.Response {
		return mtasts.NewFetcher(mtasts.Config{Roots: ca.Pool(), Port: port, Timeout: 2 * time.Second}).Get(context.Background(), domain, addrs)
	}

	ok := get(srv.Port(), "good.example", refusing, loopback[0])
	if ok.Class != "" || ok.StatusCode != 200 || string(ok.Body) != enforce || ok.BodyTruncated || !strings.HasPrefix(ok.ContentType, "text/plain") ||
		len(ok.Dialled) != 2 || ok.Dialled[0] != refusing || ok.Connected != loopback[0] || ok.Time.IsZero() || ok.Latency <= 0 {
		t.Errorf("good.example: %+v", ok)
	}
	if ok.TLS == nil || !ok.TLS.Verified || ok.TLS.ServerName != "mta-sts.good.example" || !strings.HasPrefix(ok.TLS.Version, "TLS 1.") {
		t.Errorf("good.example's handshake: %+v", ok.TLS)
	}
	if res := mtasts.Judge(ok); res.Status != mtasts.StatusOK || res.Policy.Mode != mtasts.ModeEnforce {
		t.Errorf("good.example judged %+v", res)
	}

	large := get(srv.Port(), "large.example", loopback...)
	if !large.BodyTruncated || len(large.Body) != mtasts.MaxPolicySize {
		t.Errorf("large.example: truncated %v, a body of %d bytes; want the first %d and truncated", large.BodyTruncated, len(large.Body), mtasts.MaxPolicySize)
	}

	redirect := get(srv.Port(), "redirect.example", loopback...)
	if redirect.StatusCode != 301 || redirect.Location != "https://elsewhere.example/.well-known/mta-sts.txt" || redirect.Body != nil || redirect.Class != "" {
		t.Errorf("redirect.example: %+v", redirect)
	}

	cert := get(wrongName.Port(), "good.example", loopback...)
	if cert.Class != mtasts.ClassCertificate || cert.Connected != loopback[0] || cert.TLS == nil || cert.TLS.Verified ||
		!strings.Contains(cert.TLS.Err, "mta-sts.good.example") || cert.StatusCode != 0 {
		t.Errorf("a certificate for another name: %+v %+v", cert, cert.TLS)
	}

	refused := get(closedPort(t), "good.example", loopback...)
	if refused.Class != mtasts.ClassRefused || refused.Connected.IsValid() || refused.TLS != nil || len(refused.Dialled) != 1 {
		t.Errorf("refused: %+v", refused)
	}
	for r, want := range map[*mtasts.Response]mtasts.Status{&large: mtasts.StatusInvalid, &redirect: mtasts.StatusUnreachable, &cert: mtasts.StatusUnreachable, &refused: mtasts.StatusUnreachable} {
		if got := mtasts.Judge(*r); got.Status != want {
			t.Errorf("%s judged %+v; want %s", r.URL, got, want)
		}
	}
}

// Judge reads a Response the way Fetch did: one path for a scan and a
// replay.
func TestJudge(t *testing.T) {
	u := mtasts.URL("x.example")
	tests := []struct {
		name string
		r    mtasts.Response
		want mtasts.Status
		err  string
	}{
		{"a policy", mtasts.Response{StatusCode: 200, ContentType: "text/plain; charset=utf-8", Body: []byte(enforce)}, mtasts.StatusOK, ""},
		{"404", mtasts.Response{StatusCode: 404}, mtasts.StatusNone, "HTTP 404: no policy at " + u},
		{"410", mtasts.Response{StatusCode: 410}, mtasts.StatusNone, "HTTP 410"},
		{"a redirect", mtasts.Response{StatusCode: 308, Location: "https://a.example/\x1b"}, mtasts.StatusUnreachable, `redirect to "https://a.example/\x1b"`},
		{"503", mtasts.Response{StatusCode: 503}, mtasts.StatusUnreachable, "HTTP 503"},
		{"truncated", mtasts.Response{StatusCode: 200, ContentType: "text/plain", Body: []byte(enforce), BodyTruncated: true}, mtasts.StatusInvalid, "larger than 64 KiB"},
		{"too long a body", mtasts.Response{StatusCode: 200, ContentType: "text/plain", Body: make([]byte, mtasts.MaxPolicySize+1)}, mtasts.StatusInvalid, "larger than 64 KiB"},
		{"html", mtasts.Response{StatusCode: 200, ContentType: "text/html", Body: []byte(enforce)}, mtasts.StatusInvalid, `served as "text/html"`},
		{"refused", mtasts.Response{Class: mtasts.ClassRefused, Err: "connection refused"}, mtasts.StatusUnreachable, "connection refused"},
		{"certificate", mtasts.Response{Class: mtasts.ClassCertificate, Err: "certificate not accepted: x"}, mtasts.StatusUnreachable, "certificate not accepted"},
		{"failed", mtasts.Response{Class: mtasts.ClassFailed, Err: "EOF"}, mtasts.StatusUnreachable, "EOF"},
		{"timeout after the headers", mtasts.Response{StatusCode: 200, Class: mtasts.ClassTimeout, Err: "reading the policy: no answer within 15s"}, mtasts.StatusTemperror, "reading the policy"},
		{"no route", mtasts.Response{Class: mtasts.ClassNoRoute, Err: "no route"}, mtasts.StatusTemperror, "no route"},
		{"canceled", mtasts.Response{Class: mtasts.ClassCanceled}, mtasts.StatusTemperror, "canceled"},
		{"no address", mtasts.Response{Class: mtasts.ClassNoAddress, Err: "mta-sts.x.example has no address"}, mtasts.StatusNone, "no address"},
		{"not recorded", mtasts.NotRecorded("x.example", "not fetched: none recorded"), mtasts.StatusTemperror, "none recorded"},
		{"a class this version does not know", mtasts.Response{Class: "new-kind", Err: "?"}, mtasts.StatusTemperror, "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.URL = u
			res := mtasts.Judge(tt.r)
			if res.Status != tt.want || !strings.Contains(res.Err, tt.err) || res.URL != u || (res.Status == mtasts.StatusOK) != (res.Policy != nil) {
				t.Errorf("got %s %q (policy %v); want %s saying %q", res.Status, res.Err, res.Policy, tt.want, tt.err)
			}
		})
	}
}
