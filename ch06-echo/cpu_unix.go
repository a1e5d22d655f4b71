//go:build unix

package main

import "golang.org/x/sys/unix"

// selfCPU returns the CPU time, user and system, that this process has
// used so far, in nanoseconds, from getrusage(RUSAGE_SELF): all of its
// threads, the runtime's workers and Go's own (the garbage collector's)
// alike.
func selfCPU() (int64, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), nil
}
