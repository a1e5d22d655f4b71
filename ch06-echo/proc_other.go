//go:build !linux

package main

import "errors"

// errNoProc is why -pid fails where there is no Linux /proc.
var errNoProc = errors.New("-pid reads the server's /proc files, which only Linux has")

func readProcCPU(pid int) (procCPU, error) { return procCPU{}, errNoProc }

func readProcMem(pid int) (rss int64, fds int, err error) { return 0, 0, errNoProc }
