// Command book renders the book in book/ with Go alone, the way mdBook
// renders it, and draws the book's benchmark charts.
//
//	go run ./cmd/book serve [-addr 127.0.0.1:3000]   serve the book, rebuilding on every change
//	go run ./cmd/book build [-o DIR]                 write the book as static HTML (default _book/)
//	go run ./cmd/book bench                          rerun every figure's benchmark, then redraw
//	go run ./cmd/book charts                         redraw every figure from its data file
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
// Each figure book/figures/NAME.svg is drawn by package figure from
// book/figures/NAME.txt, raw `go test -bench` output under a header whose
// `# command:` line is the command that made it; bench reruns that command.
//
//go:generate go run ./charts
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

const usage = `usage: go run ./cmd/book serve [-addr HOST:PORT] | build [-o DIR] | bench | charts
  serve   serve the book on http://127.0.0.1:3000, rebuilding on every change
  build   write the book as static HTML to _book/ (or -o DIR)
  bench   rerun the benchmark behind every figure, then redraw the figures
  charts  redraw every figure from its data file
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run runs one command; its error is what to print.
func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("book: no command")
	}
	fs := flag.NewFlagSet("book "+args[0], flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	addr := "127.0.0.1:3000"
	out := ""
	switch args[0] {
	case "serve":
		fs.StringVar(&addr, "addr", addr, "the address to serve on")
	case "build":
		fs.StringVar(&out, "o", "", "the directory to write (default: build-dir in mdbook.toml)")
	case "bench", "charts":
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("book: unknown command %q", args[0])
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("book %s: %v", args[0], err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("book %s: unexpected argument %q", args[0], fs.Arg(0))
	}
	root, err := findRoot()
	if err != nil {
		return err
	}
	switch args[0] {
	case "serve":
		return serve(root, addr)
	case "build":
		return buildCmd(root, out)
	case "bench":
		return benchCmd(root, drawCharts)
	default:
		return chartsCmd(root)
	}
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
