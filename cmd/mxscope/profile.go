package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

// startCPUProfile profiles the process into path until stop is called; the
// benchmark harness uses it to find where a scan's time goes.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// startAllocProfile samples allocations (one per 64 KiB, coarse enough to
// leave the scan's speed alone) and writes them to path when stop is called:
// `go tool pprof -sample_index=alloc_space` shows where the garbage the
// collector chases comes from.
func startAllocProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	runtime.MemProfileRate = 64 << 10
	return func() {
		_ = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}, nil
}
