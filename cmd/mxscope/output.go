package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// A report named with -o is written one of two ways, decided before the
// scan (checkOutput):
//
//   - a regular file, or a name that does not exist yet, is replaced
//     atomically: the report goes to a hidden temporary file in the same
//     directory, renamed into place by Commit, so that a failed or
//     interrupted run never leaves a half-written report and never
//     destroys the one that was there (Abort removes the temporary file).
//     A symbolic link stays a link: the file it points to is replaced.
//   - anything else (/dev/null, a terminal, a FIFO, a socket, or a link
//     such as /dev/stdout whose target is not a file in a directory) is
//     written through, as a shell redirection would: it is opened and
//     written, never removed or replaced.
//
// A directory is refused before the scan.

// destination is where -o points, as checkOutput found it.
type destination struct {
	name    string      // as the user gave it, for messages
	path    string      // the regular file to create or replace; "" when written through
	perm    os.FileMode // the mode of the file replaced, or of a new one
	existed bool        // path held a file before the scan
}

// checkOutput looks at -o's name before anything is scanned. It returns
// nil for standard output ("" or "-").
func checkOutput(name string) (*destination, error) {
	if name == "" || name == "-" {
		return nil, nil
	}
	d := &destination{name: name, perm: 0o644}
	fi, err := os.Stat(name) // follows links
	switch {
	case err == nil && fi.IsDir():
		return nil, userError(exitError, "-o names the report file, for example -o "+filepath.Join(name, "scan.jsonl"),
			"cannot write the report to %s: it is a directory", name)
	case err == nil && !fi.Mode().IsRegular():
		return d, nil // a device, FIFO or socket: write through
	case err == nil:
		real, magic, rerr := resolveLinks(name)
		if st, serr := os.Stat(real); magic || rerr != nil || serr != nil || !os.SameFile(fi, st) {
			// /dev/stdout, /proc/self/fd/1: the file the shell opened,
			// perhaps to append to. Write through it.
			return d, nil
		}
		d.path, d.perm, d.existed = real, fi.Mode().Perm(), true
	case errors.Is(err, os.ErrNotExist):
		real, _, rerr := resolveLinks(name) // a dangling link creates its target
		if rerr != nil {
			return nil, userError(exitError, "", "cannot write the report to %s: %s", name, rerr)
		}
		d.path = real
	default:
		return nil, userError(exitError, "", "cannot write the report to %s: %s", name, err)
	}
	if st, err := os.Stat(filepath.Dir(d.path)); err != nil || !st.IsDir() {
		return nil, userError(exitError, "", "cannot write the report to %s: no directory %s", name, filepath.Dir(d.path))
	}
	return d, nil
}

// resolveLinks follows symbolic links in the last element of name, as
// open(2) would, and returns the path of the file they end at, which need
// not exist. magic reports a name in /proc or /dev/fd, whose links the
// kernel resolves to open files rather than to paths.
func resolveLinks(name string) (path string, magic bool, err error) {
	for range 40 { // Linux's MAXSYMLINKS
		abs, _ := filepath.Abs(name)
		if strings.HasPrefix(abs, "/proc/") || strings.HasPrefix(abs, "/dev/fd/") {
			magic = true
		}
		fi, err := os.Lstat(name)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return name, magic, nil
		}
		target, err := os.Readlink(name)
		if err != nil {
			return "", magic, err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(name), target)
		}
		name = target
	}
	return "", magic, errors.New("too many levels of symbolic links")
}

// output is where the report goes: standard output, a file written
// through, or a temporary file that Commit renames into place.
type output struct {
	w    *bufio.Writer
	file *os.File     // nil for standard output
	dest *destination // nil for standard output
	to   string       // where Commit renames the temporary file; "" when written through
	done bool
}

func (o *output) Write(p []byte) (int, error) { return o.w.Write(p) }

// openOutput opens d for writing: standard output when d is nil. Opening a
// FIFO waits for a reader; an interrupt ends the wait.
func openOutput(ctx context.Context, io *streams, d *destination) (*output, error) {
	if d == nil {
		return &output{w: bufio.NewWriter(io.Out)}, nil
	}
	if d.path == "" {
		f, err := openThrough(ctx, d.name)
		if err != nil {
			return nil, userError(exitError, "", "cannot write the report to %s: %s", d.name, err)
		}
		return &output{w: bufio.NewWriterSize(f, fileBuffer), file: f, dest: d}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(d.path), "."+filepath.Base(d.path)+".*.tmp")
	if err != nil {
		return nil, userError(exitError, "", "cannot write the report to %s: %s", d.name, err)
	}
	// Nobody reads the temporary file before it is renamed, so it is
	// written in large blocks: in bufio's default 4 KB ones, a 100k-domain
	// jsonl report (140 MB) is some 35,000 write(2) calls; strace counted
	// 2,785 writes in the whole scan with these.
	return &output{w: bufio.NewWriterSize(f, fileBuffer), file: f, dest: d, to: d.path}, nil
}

// openNamed is checkOutput and openOutput in one, for a command whose
// output has nothing to check before its work.
func openNamed(ctx context.Context, io *streams, name string) (*output, error) {
	d, err := checkOutput(name)
	if err != nil {
		return nil, err
	}
	return openOutput(ctx, io, d)
}

// openThrough opens name for writing without creating, truncating or
// replacing it. A regular file behind a link such as /proc/self/fd/1 is
// appended to, as the shell's own redirection left it.
func openThrough(ctx context.Context, name string) (*os.File, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		flag := os.O_WRONLY
		if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
			flag |= os.O_APPEND
		}
		f, err := os.OpenFile(name, flag, 0)
		ch <- opened{f, err}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-ctx.Done():
		go func() { // the open may still succeed: close what it opens
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// fileBuffer is the write buffer of an -o file.
const fileBuffer = 256 << 10

// temporary reports whether the report goes to a temporary file, renamed
// into place by Commit; only then can a run choose where it lands.
func (o *output) temporary() bool { return o.to != "" }

// redirect makes Commit put the report at path instead, in the same
// directory: a report that cannot say it is partial (CSV) does not replace
// a complete one.
func (o *output) redirect(path string) { o.to = path }

// Commit flushes the report and, for a temporary file, moves it into place.
func (o *output) Commit() error {
	if err := o.w.Flush(); err != nil {
		o.Abort()
		return err
	}
	o.done = true
	switch {
	case o.file == nil:
		return nil
	case o.to == "":
		return o.file.Close()
	}
	tmp := o.file.Name()
	err := o.file.Chmod(o.dest.perm)
	if err == nil {
		err = o.file.Sync()
	}
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, o.to)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// Abort discards an uncommitted temporary file, leaving whatever was at
// the destination as it was. It is safe to call after Commit.
func (o *output) Abort() {
	if o.done || o.file == nil {
		return
	}
	o.done = true
	if o.to == "" {
		o.w.Flush() // written through: what was written stays written
		o.file.Close()
		return
	}
	o.file.Close()
	os.Remove(o.file.Name())
}

// partialName is where an interrupted CSV report goes: scan.csv becomes
// scan.partial.csv, beside the report it was to be.
func partialName(path string) string {
	ext := filepath.Ext(path)
	if ext == "" || strings.HasPrefix(filepath.Base(path), ext) {
		return path + ".partial"
	}
	return strings.TrimSuffix(path, ext) + ".partial" + ext
}

var _ io.Writer = (*output)(nil)
