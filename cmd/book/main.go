// Command book renders the book in book/ with Go alone, the way mdBook
// renders it, and draws the book's benchmark charts.
//
//	go run ./cmd/book serve [-addr 127.0.0.1:3000]   serve the book, rebuilding on every change
//	go run ./cmd/book build [-o DIR]                 write the book as static HTML (default _book/)
//	go run ./cmd/book bench                          rerun every figure's benchmark, then redraw
//	go run ./cmd/book charts                         redraw every figure from its data file
//
// -h, --help, help and book alone print the usage on stdout, status 0; a
// usage error is one line on stderr, status 2, as in the book's chapter
// programs.
//
// It reads mdbook.toml (or book.toml) and SUMMARY.md as mdBook does:
// the sidebar in SUMMARY order, numbered chapters, draft chapters shown as
// not yet written, previous and next links, and {{#include}} links
// expanded by package mdbook, the same code the book checker runs. Go
// listings are highlighted by chroma; the pages have a light and a dark
// theme and a search box.
//
// A problem in the book (an include that does not resolve, a page missing
// from SUMMARY.md, a dead link, a stale figure, a bad config) is printed as
// file:line: message, one per line, and the exit status is 1. serve keeps
// serving the last good build and shows the problem at the top of the page.
//
// Each figure book/figures/NAME.svg is drawn from book/figures/NAME.txt,
// raw `go test -bench` output under a header whose `# command:` line is
// the command that made it; bench reruns that command. The drawing is done
// by a command of its own, cmd/book/charts, which charts and bench run
// with go run: serve and build check a figure's stamp (package figure)
// and never compile the plotting library, so a first go run ./cmd/book
// serve is quick.
//
//go:generate go run ./charts
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/asyncbook/asyncbook/ch02-futures/cli"
)

const usage = `usage: go run ./cmd/book COMMAND [FLAGS]

  serve [-addr HOST:PORT]  serve the book on http://127.0.0.1:3000,
                           rebuilding it and reloading open pages on
                           every change; Ctrl-C stops
  build [-o DIR]           write the book as static HTML to _book/
  charts                   redraw every figure from its data file
                           (go run ./cmd/book/charts: the first run
                           compiles the plotting library, a minute)
  bench                    rerun the benchmark behind every figure,
                           then redraw the figures (many minutes)
  help                     print this message

book alone, -h and --help print this message too.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run runs the command line args and returns the exit status: 0, 1 after
// a problem (printed on stderr), or 2 after a usage error, which is one
// line on stderr as every program of the book prints it (cli.Command).
func run(args []string) int {
	c := cli.Command{Prog: "book", Usage: usage, Stdout: os.Stdout, Stderr: os.Stderr}
	if len(args) == 0 {
		fmt.Print(usage)
		return 0
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
		return 0
	case "serve", "build", "bench", "charts":
	default:
		if strings.HasPrefix(name, "-") {
			return c.UsageError(fmt.Sprintf("flag provided but not defined: %s; a command comes first", name))
		}
		return c.UsageError(fmt.Sprintf("unknown command %q", name))
	}
	flags := c.FlagSet()
	addr, out := "127.0.0.1:3000", ""
	switch name {
	case "serve":
		flags.StringVar(&addr, "addr", addr, "the address to serve on")
	case "build":
		flags.StringVar(&out, "o", out, "the directory to write")
	}
	if code, done := c.Parse(flags, args[1:]); done {
		return code
	}
	if flags.NArg() > 0 {
		return c.UsageError(fmt.Sprintf("%s: unexpected argument %q", name, flags.Arg(0)))
	}
	root, err := findRoot()
	if err == nil {
		switch name {
		case "serve":
			err = serveCmd(root, addr)
		case "build":
			err = buildCmd(root, out)
		case "bench":
			err = benchCmd(root, os.Stdout, drawCharts)
		default:
			err = chartsCmd(root)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// findRoot returns the book's root: the nearest directory, from the
// current one up, that holds mdbook.toml or book.toml.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "mdbook.toml")) || fileExists(filepath.Join(dir, "book.toml")) {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("book: no mdbook.toml or book.toml here or in any parent directory; run it from the repository")
		}
		dir = up
	}
}

// buildCmd builds the book into out (relative to the root unless absolute).
// The output directory is checked first, so a refused -o costs no build.
func buildCmd(root, out string) error {
	cfg, err := loadConfig(root)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, cfg.Build.BuildDir)
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := checkOutDir(root, filepath.Join(root, cfg.Book.Src), out); err != nil {
		return err
	}
	s, err := build(root)
	if err != nil {
		return err
	}
	if err := s.write(out); err != nil {
		return fmt.Errorf("book: %v", err)
	}
	fmt.Printf("wrote the book (%d pages) to %s; open %s\n", len(s.pages), out, filepath.Join(out, "index.html"))
	return nil
}

// checkOutDir refuses an output directory that build would wipe together
// with the sources: the root, the book directory or a parent of either.
func checkOutDir(root, src, out string) error {
	for _, keep := range []string{root, src} {
		rel, err := filepath.Rel(out, keep)
		if err == nil && (rel == "." || !filepath.IsAbs(rel) && rel != ".." && !startsWithDotDot(rel)) {
			return fmt.Errorf("book build: -o %s would replace %s; choose a directory of its own", out, keep)
		}
	}
	return nil
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:2] == ".." && os.IsPathSeparator(rel[2])
}
