package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"

	"github.com/mxscope/mxscope/scanner/targets"
)

// resumeKey identifies a target across runs: its domain, or for an invalid
// entry the text it was written as.
func resumeKey(t targets.Target) string {
	if t.Domain != "" {
		return t.Domain
	}
	return "\x00" + t.Input
}

// resumeState reads an earlier jsonl report and returns the targets it
// already holds. A missing file is an empty state. A last line without its
// newline is a row cut off by a crash: it is not counted, and openResume
// removes it before appending.
func resumeState(path string) (map[string]bool, error) {
	done := map[string]bool{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, nil
	}
	if err != nil {
		return nil, userError(exitError, "", "--resume: %s", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			return done, nil // a partial last line, or none
		}
		if err != nil {
			return nil, userError(exitError, "", "--resume: %s", err)
		}
		var row struct {
			Type   string `json:"type"`
			Domain string `json:"domain"`
			Input  string `json:"input"`
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, userError(exitError, "--resume takes a file written by 'mxscope scan -f jsonl'",
				"%s:%d: not an mxscope jsonl row: %s", path, n, err)
		}
		switch {
		case row.Type != "":
			// meta and summary lines
		case row.Domain != "":
			done[row.Domain] = true
		default:
			done["\x00"+row.Input] = true
		}
	}
}

// openResume opens path for appending, first cutting off a partial last
// line so that the file stays one JSON object per line.
func openResume(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, userError(exitError, "", "--resume: %s", err)
	}
	keep, err := completeLength(f)
	if err == nil {
		if err = f.Truncate(keep); err == nil {
			_, err = f.Seek(keep, io.SeekStart)
		}
	}
	if err != nil {
		f.Close()
		return nil, userError(exitError, "", "--resume: %s", err)
	}
	return f, nil
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
