// Package cli is the command-line plumbing that the book's demonstration
// programs share, so that each main.go shows only its demonstrations: a
// command line that takes no arguments, and a standard output whose
// failed writes are seen.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// WatchStdout sends what the demonstrations print to standard output
// through a pipe and copies it on to the real standard output, so that a
// write that fails there (a full disk) is seen: the demonstrations do not
// check fmt.Println's errors, to stay short. finish puts os.Stdout back,
// waits for the copy, and returns the first write error. (A reader that
// goes away, a closed pipe, still ends the program by SIGPIPE, quietly,
// as it ends cat.)
func WatchStdout() (finish func() error, err error) {
	stdout := os.Stdout
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	os.Stdout = w
	copied := make(chan error, 1)
	go func() {
		var first error
		buf := make([]byte, 32<<10)
		for {
			n, rerr := r.Read(buf)
			if n > 0 && first == nil {
				_, first = stdout.Write(buf[:n]) // after a failure, only drain
			}
			if rerr != nil {
				break
			}
		}
		r.Close()
		copied <- first
	}()
	return func() error {
		os.Stdout = stdout
		w.Close()
		return <-copied
	}, nil
}

// NoArgs handles the command line of program prog, which takes no
// arguments: -h (or -help, --help) prints usage to stdout, status 0;
// anything else is a usage error, one line on stderr, status 2. done is
// false if the program should go on.
func NoArgs(prog, usage string, args []string) (code int, done bool) {
	flags := flag.NewFlagSet(prog, flag.ContinueOnError)
	flags.SetOutput(io.Discard) // the one line is printed here
	flags.Usage = func() {}
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(usage)
			return 0, true
		}
		fmt.Fprintf(os.Stderr, "%s: %v (see %s -h)\n", prog, err, prog)
		return 2, true
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected argument %q (see %s -h)\n", prog, flags.Arg(0), prog)
		return 2, true
	}
	return 0, false
}

// Run is a demonstration program's whole life: it handles the command
// line (NoArgs), runs demos with standard output watched (WatchStdout),
// and returns the exit status: 0, 2 for a usage error, or 1, after one
// line on stderr, if standard output could not be written.
func Run(prog, usage string, args []string, demos func()) int {
	if code, done := NoArgs(prog, usage, args); done {
		return code
	}
	finish, err := WatchStdout()
	if err == nil {
		demos()
		err = finish()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}
