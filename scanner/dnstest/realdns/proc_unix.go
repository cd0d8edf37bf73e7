//go:build unix

package realdns

import (
	"os"
	"syscall"
)

// termSignal asks a daemon to shut down cleanly.
var termSignal os.Signal = syscall.SIGTERM

// killGroup kills the process group led by p, so that helpers a daemon
// forked (nsd's xfrd and server processes) die with it.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
