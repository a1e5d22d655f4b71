package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
)

// readProcCPU reads the CPU time process pid has used so far: utime and
// stime from /proc/PID/stat, and the run time of each of its threads
// from /proc/PID/task/TID/schedstat (one file per thread: the file
// /proc/PID/schedstat covers the main thread only). Files that are
// missing because a thread exited meanwhile are skipped; a kernel built
// without schedstat leaves threads nil.
func readProcCPU(pid int) (procCPU, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procCPU{}, procErr(pid, err)
	}
	var c procCPU
	if c.stat, err = parseStatCPU(string(b)); err != nil {
		return procCPU{}, fmt.Errorf("-pid %d: %v", pid, err)
	}
	tids, err := os.ReadDir(dir + "/task")
	if err != nil {
		return procCPU{}, procErr(pid, err)
	}
	c.threads = make(map[int64]int64, len(tids))
	for _, t := range tids {
		tid, err := strconv.ParseInt(t.Name(), 10, 64)
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/schedstat")
		if errors.Is(err, fs.ErrNotExist) && len(c.threads) == 0 && tid == int64(pid) {
			c.threads = nil // no schedstat in this kernel
			break
		}
		if err != nil {
			continue // the thread exited after ReadDir
		}
		ns, err := parseSchedstat(string(b))
		if err != nil {
			return procCPU{}, fmt.Errorf("-pid %d: %v", pid, err)
		}
		c.threads[tid] = ns
	}
	return c, nil
}

// readProcMem returns the resident set size of process pid, in bytes,
// and the number of descriptors it has open.
func readProcMem(pid int) (rss int64, fds int, err error) {
	dir := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(dir + "/status")
	if err != nil {
		return 0, 0, procErr(pid, err)
	}
	if rss, err = parseVmRSS(string(b)); err != nil {
		return 0, 0, fmt.Errorf("-pid %d: %v", pid, err)
	}
	f, err := os.Open(dir + "/fd")
	if err != nil {
		return 0, 0, procErr(pid, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, 0, procErr(pid, err)
	}
	return rss, len(names), nil
}

// procErr says what went wrong reading process pid's files in words
// about the process, not the file.
func procErr(pid int, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("-pid %d: no such process", pid)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("-pid %d: not allowed to read its /proc files (another user's process?)", pid)
	}
	return fmt.Errorf("-pid %d: %v", pid, err)
}
