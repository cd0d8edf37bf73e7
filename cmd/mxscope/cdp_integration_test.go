//go:build integration

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// browser is a headless chromium driven over the Chrome DevTools Protocol
// through --remote-debugging-pipe: JSON messages separated by NUL bytes,
// written to the browser's fd 3 and read from its fd 4. A pipe needs no
// port and no WebSocket, and no other process can talk to the browser.
type browser struct {
	cmd  *exec.Cmd
	w    io.WriteCloser
	done chan struct{} // closed when the reader ends (the browser closed its end)

	mu      sync.Mutex
	next    int
	pending map[int]chan cdpMessage
	events  []cdpMessage
	notify  chan struct{} // signalled when an event arrives
}

// cdpMessage is a response (ID set) or an event (Method set).
type cdpMessage struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// startBrowser starts chromium headless with a fresh profile in a temporary
// directory, with every background service that could go to the network
// turned off, and stops it in t.Cleanup.
func startBrowser(t *testing.T, bin string) *browser {
	t.Helper()
	profile := t.TempDir()
	toR, toW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toR, fromW} // fd 3: what we send; fd 4: what it answers
	var stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // chromium's helpers are stopped with it
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	toR.Close()
	fromW.Close()
	b := &browser{cmd: cmd, w: toW, done: make(chan struct{}), pending: map[int]chan cdpMessage{}, notify: make(chan struct{}, 1)}
	go b.read(fromR)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.call(ctx, "", "Browser.close", nil, nil)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		toW.Close()
		if t.Failed() {
			t.Logf("chromium output:\n%s", stderr.String())
		}
	})
	return b
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<20 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (b *browser) read(r io.ReadCloser) {
	defer close(b.done)
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		msg, err := br.ReadBytes(0)
		if err != nil {
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(msg[:len(msg)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.pending[m.ID]; ch != nil {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else {
			b.events = append(b.events, m)
			select {
			case b.notify <- struct{}{}:
			default:
			}
		}
		b.mu.Unlock()
	}
}

var errBrowserGone = errors.New("cdp: the browser closed the pipe")

// call sends one command (to the browser, or to the page of session) and
// decodes its result into result, when result is not nil.
func (b *browser) call(ctx context.Context, session, method string, params, result any) error {
	b.mu.Lock()
	b.next++
	id := b.next
	ch := make(chan cdpMessage, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.w.Write(append(data, 0)); err != nil {
		return fmt.Errorf("cdp: %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("cdp: %s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-b.done:
		return errBrowserGone
	case <-ctx.Done():
		return fmt.Errorf("cdp: %s: %w", method, ctx.Err())
	}
}

// eventsSince returns the events received from index i on.
func (b *browser) eventsSince(i int) []cdpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]cdpMessage(nil), b.events[min(i, len(b.events)):]...)
}

func (b *browser) eventCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// waitEvent waits for an event named method, received after index from,
// in session.
func (b *browser) waitEvent(ctx context.Context, from int, session, method string) error {
	for {
		for _, e := range b.eventsSince(from) {
			if e.Method == method && e.SessionID == session {
				return nil
			}
		}
		select {
		case <-b.notify:
		case <-b.done:
			return errBrowserGone
		case <-ctx.Done():
			return fmt.Errorf("cdp: waiting for %s: %w", method, ctx.Err())
		}
	}
}

// page is one tab, attached in flat mode: its commands carry its session.
type page struct {
	b       *browser
	session string
}

// newPage opens a blank tab and turns on the domains the test watches:
// Page (load events), Runtime (console calls, exceptions), Log (CSP
// violations, failed loads) and Network (every request).
func (b *browser) newPage(ctx context.Context) (*page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &page{b: b, session: attached.SessionID}
	for _, domain := range []string{"Page", "Runtime", "Log", "Network"} {
		if err := p.call(ctx, domain+".enable", nil, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *page) call(ctx context.Context, method string, params, result any) error {
	return p.b.call(ctx, p.session, method, params, result)
}

// navigate loads url and waits for its load event.
func (p *page) navigate(ctx context.Context, url string) error {
	from := p.b.eventCount()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("cdp: navigating to %s: %s", url, nav.ErrorText)
	}
	return p.b.waitEvent(ctx, from, p.session, "Page.loadEventFired")
}

// eval runs a JavaScript expression in the page and decodes its value
// (which must be JSON-serialisable) into out.
func (p *page) eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if d := r.ExceptionDetails; d != nil {
		msg := d.Text
		if d.Exception != nil {
			msg = d.Exception.Description
		}
		return fmt.Errorf("cdp: evaluating %.80q: %s", expr, msg)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// screenshot saves the page as a PNG, in the viewport or, with full, the
// whole page.
func (p *page) screenshot(ctx context.Context, path string, full bool) error {
	var shot struct {
		Data []byte `json:"data"` // base64 in JSON; encoding/json decodes it
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": full}, &shot); err != nil {
		return err
	}
	return os.WriteFile(path, shot.Data, 0o644)
}

// printPDF saves the page as the print dialog would print it.
func (p *page) printPDF(ctx context.Context, path string) error {
	var pdf struct {
		Data []byte `json:"data"`
	}
	if err := p.call(ctx, "Page.printToPDF", map[string]any{"printBackground": false}, &pdf); err != nil {
		return err
	}
	return os.WriteFile(path, pdf.Data, 0o644)
}

// problems lists, from the events received from index from on, every
// request the page made (other than for allowed URLs) and every console
// error, uncaught exception and browser log error (a CSP violation is one).
// seen counts the allowed requests, so that a test can tell that Network
// events arrived at all.
func (b *browser) problems(from int, session string, allowed ...string) (requests, errs []string, seen int) {
	for _, e := range b.eventsSince(from) {
		if e.SessionID != session {
			continue
		}
		switch e.Method {
		case "Network.requestWillBeSent":
			var v struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(e.Params, &v)
			ok := false
			for _, a := range allowed {
				ok = ok || v.Request.URL == a
			}
			if ok {
				seen++
			} else {
				requests = append(requests, v.Request.URL)
			}
		case "Runtime.consoleAPICalled":
			var v struct {
				Type string            `json:"type"`
				Args []json.RawMessage `json:"args"`
			}
			json.Unmarshal(e.Params, &v)
			if v.Type == "error" || v.Type == "assert" || v.Type == "warning" {
				errs = append(errs, fmt.Sprintf("console.%s: %s", v.Type, e.Params))
			}
		case "Runtime.exceptionThrown":
			errs = append(errs, "exception: "+string(e.Params))
		case "Log.entryAdded":
			var v struct {
				Entry struct {
					Level, Source, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(e.Params, &v)
			if v.Entry.Level == "error" || v.Entry.Level == "warning" {
				errs = append(errs, fmt.Sprintf("log %s (%s): %s %s", v.Entry.Level, v.Entry.Source, v.Entry.Text, v.Entry.URL))
			}
		}
	}
	return requests, errs, seen
}

// artifactDir is where the browser test leaves its screenshots, PDF and
// report: $MXSCOPE_TEST_ARTIFACTS when set (CI keeps that directory), else
// a temporary directory removed after the test.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MXSCOPE_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
