//go:build linux

package realdns

import "syscall"

// sysProcAttr puts the daemon in its own process group (stopped as a whole)
// and has the kernel kill it should the test binary die without cleanup.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
