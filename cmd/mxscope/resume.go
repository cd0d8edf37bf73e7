package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"

	"github.com/mxscope/mxscope/scanner"
	"github.com/mxscope/mxscope/scanner/targets"
)

// How --resume works.
//
// A jsonl report starts with a meta line that records, besides the scan's
// settings, the SHA-256 of the targets list it was scanned from
// (targets_sha256, see listHash). --resume FILE reads FILE, refuses it when
// it was written from another targets list or with other --checks, and
// skips the targets it already holds. The new report is FILE's meta line,
// FILE's result rows, the rows of the targets still missing, and one
// summary of all of them: one meta and one summary for the whole file,
// the summary marked partial when the run is interrupted again. It is
// written like any -o report (to FILE itself unless -o says otherwise):
// to a temporary file renamed into place, so that FILE is replaced only by
// the longer report, never cut short.
//
// A target is known across runs by its domain; an invalid entry, which may
// have none, by its line in the targets file (two empty entries are two
// targets), or for a command-line argument by its text and how many times
// that text came before. The targets_sha256 check is what makes lines a
// safe key: a list whose invalid entries moved is another list.

// resumeKeys gives each target its key; one per pass over the targets,
// since an argument's key counts the arguments before it.
type resumeKeys struct {
	args map[string]int
}

func (k *resumeKeys) key(domain, input string, line int, invalid bool) string {
	switch {
	case !invalid:
		return "d:" + domain
	case line > 0:
		return "l:" + strconv.Itoa(line)
	}
	if k.args == nil {
		k.args = map[string]int{}
	}
	k.args[input]++
	return "a:" + strconv.Itoa(k.args[input]) + ":" + input
}

func (k *resumeKeys) target(t targets.Target) string {
	return k.key(t.Domain, t.Input, t.Line, t.Invalid != "")
}

// listHash is the SHA-256 of a targets list as mxscope reads it: each
// target's domain, input, labels, and for an invalid entry its line.
// Reformatting the file, reordering an entry's keys or adding comments
// leaves it as it was, unless that moves an invalid entry to another line.
type listHash struct {
	h   hash.Hash
	buf []byte
}

func newListHash() *listHash { return &listHash{h: sha256.New()} }

func (l *listHash) add(t targets.Target) {
	b := l.buf[:0]
	b = append(append(b, t.Domain...), 0)
	b = append(append(b, t.Input...), 0)
	if t.Invalid != "" {
		b = strconv.AppendInt(append(b, "invalid:"...), int64(t.Line), 10)
	}
	for _, lb := range t.Labels {
		b = append(append(append(b, 0), lb.Key...), 0)
		switch v := lb.Value.(type) {
		case string:
			b = append(append(b, 's'), v...)
		case int:
			b = strconv.AppendInt(append(b, 'i'), int64(v), 10)
		case bool:
			b = strconv.AppendBool(append(b, 'b'), v)
		case nil:
			b = append(b, 'n')
		default:
			j, _ := json.Marshal(v)
			b = append(append(b, 'j'), j...)
		}
	}
	b = append(b, 1)
	l.h.Write(b)
	l.buf = b
}

func (l *listHash) sum() string { return hex.EncodeToString(l.h.Sum(nil)) }

// resumeState is what an earlier jsonl report holds.
type resumeState struct {
	path    string
	done    map[string]bool // the keys of the targets it holds
	rows    int
	meta    []byte       // its meta line, without the line break; nil when none
	targets string       // the meta's targets_sha256
	checks  string       // the meta's checks
	shard   string       // the meta's shard
	size    int64        // up to the end of its last complete line
	typed   map[int]bool // the numbers of its meta and summary lines
	missing bool         // the file does not exist: every target is scanned
}

// readResume reads an earlier jsonl report: the targets it holds, each
// row handed to add (for the summary and the gate). A missing or empty
// file is an empty state. A last line without its line break is a row cut
// off by a crash: it is not counted, and not copied.
func readResume(path string, add func(*scanner.Result)) (*resumeState, error) {
	st := &resumeState{path: path, done: map[string]bool{}, typed: map[int]bool{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		st.missing = true
		return st, nil
	}
	if err != nil {
		return nil, userError(exitError, "", "--resume: %s", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, userError(exitUsage, "--resume names a jsonl report written with -o FILE", "--resume: %s is not a regular file", path)
	}
	keys := &resumeKeys{}
	err = eachLine(f, func(n int, line []byte) error {
		// mxscope writes "type" first on meta and summary lines, and
		// never on a result, which always has a status.
		var typed struct {
			Type    string          `json:"type"`
			Targets string          `json:"targets_sha256"`
			Checks  string          `json:"checks"`
			Shard   string          `json:"shard"`
			Results json.RawMessage `json:"results"`
		}
		var row struct {
			scanner.Result
			Labels json.RawMessage `json:"labels"` // not needed, and Labels has no decoder
		}
		var err error
		if !bytes.HasPrefix(line, []byte(`{"type":`)) {
			if err = json.Unmarshal(line, &row); err == nil && row.Status != "" {
				st.rows++
				st.done[keys.key(row.Domain, row.Input, row.Line, row.Status == scanner.StatusInvalid)] = true
				add(&row.Result)
				return nil
			}
		}
		if jerr := json.Unmarshal(line, &typed); jerr != nil || typed.Type == "" || typed.Results != nil {
			switch {
			case jerr != nil:
				err = jerr
			case typed.Results != nil:
				err = errors.New("a json report, not jsonl")
			case err == nil:
				err = errors.New("no result and no type")
			}
			return userError(exitError, "--resume takes a file written by 'mxscope scan -f jsonl'",
				"--resume: %s:%d: not an mxscope jsonl row: %s", path, n, err)
		}
		st.typed[n] = true
		if typed.Type == "meta" && st.meta == nil {
			st.meta = bytes.Clone(line)
			st.targets, st.checks, st.shard = typed.Targets, typed.Checks, typed.Shard
		} // else a summary, or the meta line of an older resumed run
		return nil
	})
	if err != nil {
		return nil, err
	}
	st.size, err = completeLength(f)
	if err != nil {
		return nil, userError(exitError, "", "--resume: %s", err)
	}
	return st, nil
}

// check refuses a report that another targets list or other checks wrote.
func (st *resumeState) check(io *streams, hash string, checks scanner.Checks, shard string) error {
	if st.meta == nil {
		return nil
	}
	if st.targets == "" {
		fmt.Fprintf(io.Err, "mxscope: warning: --resume: %s does not record its targets list (an older mxscope wrote it); it cannot be checked against this one\n", st.path)
	} else if st.targets != hash {
		return userError(exitUsage, "resume with the targets the report was written from, or start a new report without --resume",
			"--resume: %s was written from a different targets list (targets_sha256 %.12s…, this list %.12s…)", st.path, st.targets, hash)
	}
	if st.shard != shard {
		name := func(s string) string {
			if s == "" {
				return "the whole list"
			}
			return "shard " + s
		}
		return userError(exitUsage, "resume with the --shard the report was written with", "--resume: %s holds %s, not %s", st.path, name(st.shard), name(shard))
	}
	if st.checks != "" && st.checks != checks.String() {
		return userError(exitUsage, fmt.Sprintf("resume with --checks %s, or start a new report without --resume", st.checks),
			"--resume: %s was scanned with --checks %s, not %s", st.path, st.checks, checks.String())
	}
	return nil
}

// oldMeta returns the meta line of a report that an older mxscope wrote,
// which records no targets list, with this list's hash added: the report
// gets it from here on.
func (st *resumeState) oldMeta(hash string) (scanner.Meta, bool) {
	var m scanner.Meta
	if st.meta == nil || st.targets != "" || json.Unmarshal(st.meta, &m) != nil {
		return m, false
	}
	m.TargetsSHA256 = hash
	st.meta = nil
	return m, true
}

// copyRows writes the report's meta line (when it has one) and its result
// rows to w, as they are.
func (st *resumeState) copyRows(w io.Writer) error {
	if st.rows == 0 && st.meta == nil {
		return nil
	}
	f, err := os.Open(st.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st.meta != nil {
		if _, err := w.Write(st.meta); err != nil {
			return err
		}
		if _, err := w.Write(newline); err != nil {
			return err
		}
	}
	return eachLine(io.LimitReader(f, st.size), func(n int, line []byte) error {
		if st.typed[n] {
			return nil
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		_, err := w.Write(newline)
		return err
	})
}

var newline = []byte{'\n'}

// eachLine calls fn with each complete, non-blank line of r and its
// number, without its line break; a last line without one is left out.
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull { // a long row: gather it
			long := bytes.Clone(line)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err == io.EOF {
			return nil // a partial last line, or none
		}
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
}

// completeLength returns the length of f up to and including its last
// newline, reading backwards so that a large file is not read whole.
func completeLength(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	buf := make([]byte, 64<<10)
	for end := st.Size(); end > 0; {
		start := max(0, end-int64(len(buf)))
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
}
