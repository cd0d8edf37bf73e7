package lines

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadKeepsNewlinesAndBoundsLines(t *testing.T) {
	long := strings.Repeat("x", 100) // longer than the 16-byte buffer below
	tests := []struct {
		name, in string
		max      int
		want     []string // lines read, then the error
		err      error
	}{
		{"lines end in their newline", "a\nb\r\n", 10, []string{"a\n", "b\r\n"}, io.EOF},
		{"a last line without one", "a\nb", 10, []string{"a\n", "b"}, io.EOF},
		{"a line longer than the buffer", long + "\nz\n", 200, []string{long + "\n", "z\n"}, io.EOF},
		{"a line longer than max", "ok\n" + long + "\n", 50, []string{"ok\n"}, ErrTooLong},
		{"max counts the newline", "abc\n", 3, nil, ErrTooLong},
		{"nothing", "", 10, nil, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
			var got []string
			var err error
			for {
				var b []byte
				if b, err = Read(br, tt.max); err != nil {
					break
				}
				got = append(got, string(b))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || !errors.Is(err, tt.err) {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
