package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// spoolMemory is how much rendered text a spool keeps in memory before it
// moves to a temporary file. The HTML report has two spools; at some 2 KB a
// target, 8 MiB each holds a few thousand targets, which is most reports.
var spoolMemory = 8 << 20

// spool keeps text written now for a writer that needs it later: in memory
// up to limit bytes, then in a temporary file in os.TempDir. The file is
// removed as soon as it is created (on systems that allow removing an open
// file), so nothing is left behind however the program ends; Close removes
// it on the others.
type spool struct {
	limit int
	mem   bytes.Buffer
	file  *os.File
	buf   *bufio.Writer // in front of file
}

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.mem.Len()+len(p) <= s.limit {
		return s.mem.Write(p)
	}
	if s.file == nil {
		f, err := os.CreateTemp("", "mxscope-report-*.tmp")
		if err != nil {
			return 0, fmt.Errorf("report: keeping rows for the html report: %w", err)
		}
		os.Remove(f.Name())
		s.file, s.buf = f, bufio.NewWriterSize(f, 256<<10)
		if _, err := s.mem.WriteTo(s.buf); err != nil {
			return 0, err
		}
		s.mem = bytes.Buffer{}
	}
	return s.buf.Write(p)
}

// WriteTo copies everything written so far to w.
func (s *spool) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		return s.mem.WriteTo(w)
	}
	if err := s.buf.Flush(); err != nil {
		return 0, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, s.file)
}

// Close releases the temporary file, if there is one.
func (s *spool) Close() error {
	s.mem = bytes.Buffer{}
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if rm := os.Remove(s.file.Name()); rm != nil && !errors.Is(rm, os.ErrNotExist) && err == nil {
		err = rm
	}
	s.file, s.buf = nil, nil
	return err
}
