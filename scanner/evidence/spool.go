package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
)

// Spool keeps entries on disk so that they can be read back in another
// order: mxscope merge reads each shard's evidence file through, one file
// at a time, and writes the entries out in input order. Each entry is
// stored whole (its answer and https lines, then its target line), so reading one
// back needs no window, and memory holds only a small index per entry,
// however many shards or answers there are.
type Spool struct {
	f   *os.File
	w   *bufio.Writer
	off int64
	idx []spooled
	enc lineEncoder
}

type spooled struct {
	key int   // the order to read back in
	off int64 // where the block starts
	n   int   // its length
}

// NewSpool makes a spool in the system's temporary directory.
func NewSpool() (*Spool, error) {
	f, err := os.CreateTemp("", "mxscope-merge-*.jsonl")
	if err != nil {
		return nil, err
	}
	return &Spool{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Add stores e, read with Reader.KeepLines, to be read back in the order
// of key.
func (s *Spool) Add(key int, e *Entry) error {
	start := s.off
	for _, q := range e.Questions {
		if b, ok := e.lines[q]; ok {
			if err := s.put(b); err != nil {
				return err
			}
		}
	}
	for _, b := range e.https {
		if err := s.put(b); err != nil {
			return err
		}
	}
	t := e.Target
	b, err := s.enc.target(nil, &targetLine{
		N: e.N, Line: t.Line, Position: t.Position, Domain: t.Domain, Input: t.Input, Unicode: t.Unicode,
		Labels: t.Labels, Invalid: t.Invalid, Questions: e.Questions, Truncated: e.Truncated,
	})
	if err != nil {
		return err
	}
	if err := s.put(b); err != nil {
		return err
	}
	s.idx = append(s.idx, spooled{key: key, off: start, n: int(s.off - start)})
	return nil
}

func (s *Spool) put(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if err := s.w.WriteByte('\n'); err != nil {
		return err
	}
	s.off += int64(len(b)) + 1
	return nil
}

// Sorted reads the entries back in the order of their keys (entries with
// equal keys in the order they were added), each with its answer lines.
func (s *Spool) Sorted() iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		if err := s.w.Flush(); err != nil {
			yield(nil, err)
			return
		}
		slices.SortStableFunc(s.idx, func(a, b spooled) int { return a.key - b.key })
		var buf []byte
		br := bytes.NewReader(nil)
		r := &Reader{br: bufio.NewReaderSize(br, 64<<10), name: s.f.Name(), keep: true}
		for _, sp := range s.idx {
			buf = slices.Grow(buf[:0], sp.n)[:sp.n]
			if _, err := s.f.ReadAt(buf, sp.off); err != nil {
				yield(nil, err)
				return
			}
			// Each block stands alone: a fresh window, as large as one
			// target's answers may be.
			br.Reset(buf)
			r.br.Reset(br)
			r.latest = map[Question]*heldLine{}
			r.win = window{max: maxBlockLines, maxBytes: MaxBlockBytes, blockStart: 1}
			r.block, r.nblock, r.nfetch, r.fetch = 0, 0, 0, nil
			e, err := r.Next()
			if err == io.EOF {
				err = fmt.Errorf("%w: spooled entry at %d has no target line", ErrFormat, sp.off)
			}
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// Close removes the spool's file.
func (s *Spool) Close() error {
	err := s.f.Close()
	if rerr := os.Remove(s.f.Name()); err == nil {
		err = rerr
	}
	return err
}
