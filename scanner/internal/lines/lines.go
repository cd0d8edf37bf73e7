// Package lines reads the lines of the JSON Lines files mxscope writes
// (reports and evidence), each bounded, for the readers that take them
// back: diff, merge and the evidence reader.
package lines

import (
	"bufio"
	"errors"
	"io"
)

// ErrTooLong: a line is longer than the reader's bound. Callers say which
// bound, in their own words.
var ErrTooLong = errors.New("lines: line too long")

// Read returns the next line of br with its newline, or without one when
// it is the last line of the input and has none; io.EOF when nothing is
// left. A line longer than max bytes is ErrTooLong, after at most max
// bytes of it were held. The slice is br's own buffer unless the line was
// longer than that buffer: it is good until the next read.
func Read(br *bufio.Reader, max int) ([]byte, error) {
	var long []byte
	for {
		b, err := br.ReadSlice('\n')
		switch {
		case err == nil || err == io.EOF && len(b)+len(long) > 0:
			if long != nil {
				b = append(long, b...)
			}
			if len(b) > max {
				return nil, ErrTooLong
			}
			return b, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if len(long)+len(b) > max {
				return nil, ErrTooLong
			}
			long = append(long, b...)
		default:
			return nil, err
		}
	}
}
