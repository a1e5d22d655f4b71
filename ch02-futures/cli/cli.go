// Package cli is the command-line plumbing that the book's demonstration
// programs share, so that each main.go shows only its demonstrations: a
// command line that takes no arguments, and a standard output whose
// failed writes are seen.
package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Printable returns s as it is if every rune of it is printable, and
// otherwise quoted, with the bytes that are not printable escaped, as
// strconv.QuoteToGraphic does. An error message quotes what the user
// typed with it, so that a name or an address holding a terminal's
// escape sequence (ESC [ 3 1 m turns the text red) prints as the bytes
// it is made of instead of acting on the terminal.
func Printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsGraphic(r) {
			return strconv.QuoteToGraphic(s)
		}
	}
	return s
}

// Escape returns msg with every byte or rune that is not printable
// escaped in Go's syntax (ESC as \x1b), and the rest unchanged. It is
// the last guard of a line bound for the terminal, for a message that
// embeds input that no one quoted (package flag's "flag provided but not
// defined: -NAME").
func Escape(msg string) string {
	if Printable(msg) == msg {
		return msg
	}
	var b strings.Builder
	for i, r := range msg {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(msg[i:]); size == 1 {
				fmt.Fprintf(&b, "\\x%02x", msg[i])
				continue
			}
			b.WriteRune(r)
		case strconv.IsGraphic(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToGraphic(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// Fail prints err as the program's one error line on c.Stderr, escaped
// (see Escape), and returns the status of a failure, 1.
func (c Command) Fail(err error) int {
	fmt.Fprintf(c.Stderr, "%s: %s\n", c.Prog, Escape(err.Error()))
	return 1
}

// A Command is a program's command line, as every program of the book
// treats it: -h (or -help, --help) prints Usage on Stdout, status 0, and
// a usage error is one line on Stderr that ends with "(see PROG -h)",
// status 2.
type Command struct {
	Prog, Usage    string
	Stdout, Stderr io.Writer
}

// FlagSet returns a flag set for the program that prints nothing of its
// own: Parse prints the one line.
func (c Command) FlagSet() *flag.FlagSet {
	flags := flag.NewFlagSet(c.Prog, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	return flags
}

// Parse parses args with flags. done reports that the program ends here,
// with status code: after -h, or a flag that is not defined or has a bad
// value. Arguments left over are the caller's to judge.
func (c Command) Parse(flags *flag.FlagSet, args []string) (code int, done bool) {
	err := flags.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(c.Stdout, c.Usage)
		return 0, true
	}
	return c.UsageError(err.Error()), true
}

// UsageError prints msg as a usage error and returns its status, 2.
func (c Command) UsageError(msg string) int {
	fmt.Fprintf(c.Stderr, "%s: %s (see %s -h)\n", c.Prog, Escape(msg), c.Prog)
	return 2
}

// NoArgs handles the command line of program prog, which takes no
// arguments: -h prints usage to stdout, status 0; anything else is a
// usage error (see Command). done is false if the program should go on.
func NoArgs(prog, usage string, args []string) (code int, done bool) {
	c := Command{Prog: prog, Usage: usage, Stdout: os.Stdout, Stderr: os.Stderr}
	flags := c.FlagSet()
	if code, done := c.Parse(flags, args); done {
		return code, true
	}
	if flags.NArg() > 0 {
		return c.UsageError(fmt.Sprintf("unexpected argument %q", flags.Arg(0))), true
	}
	return 0, false
}

// Run is a demonstration program's whole life: it handles the command
// line (NoArgs), runs each part in turn, and returns the exit status: 0,
// 2 for a usage error, or 1, after one line on stderr, if standard output
// could not be written. The parts print to out, a bufio.Writer on
// standard output, without checking each write (to stay short): a
// bufio.Writer keeps its first error, so the Flush that Run makes after
// each part reports it, and Run stops there. Flushing after each part,
// not only at the end, shows a part's output before the next one starts.
func Run(prog, usage string, args []string, out *bufio.Writer, parts ...func()) int {
	if code, done := NoArgs(prog, usage, args); done {
		return code
	}
	for _, part := range parts {
		part()
		if err := out.Flush(); err != nil {
			return Command{Prog: prog, Stderr: os.Stderr}.Fail(err)
		}
	}
	return 0
}
