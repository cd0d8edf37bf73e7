//go:build !unix

package realdns

import (
	"os"
	"syscall"
)

// termSignal: without Unix signals a daemon can only be killed.
var termSignal os.Signal = os.Kill

func killGroup(p *os.Process) { _ = p.Kill() }

func sysProcAttr() *syscall.SysProcAttr { return nil }
