//go:build unix && !linux

package realdns

import "syscall"

// sysProcAttr puts the daemon in its own process group, stopped as a whole.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
