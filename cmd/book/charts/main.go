// Command charts draws the book's benchmark charts: each data file
// book/figures/NAME.txt into the chart book/figures/NAME.svg beside it.
//
//	go run ./cmd/book/charts [FILE.txt ...]
//
// With no arguments it draws every data file in book/figures of the book
// around the current directory. go run ./cmd/book charts and
// go run ./cmd/book bench run it; it is a command of its own so that the
// renderer (serve, build) does not compile the plotting library.
//
// A chart carries a stamp naming its data file and the file's SHA-256
// (figure.Stamp), so the renderer can tell a chart that is not current
// with its data without drawing it.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
)

const usage = `usage: go run ./cmd/book/charts [FILE.txt ...]
Draws each data file NAME.txt into the chart NAME.svg beside it; with no
files, every data file in the book's figures directory (book/figures).
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run draws the charts of args and returns the exit status.
func run(args []string) int {
	for _, a := range args {
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Print(usage)
			return 0
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(os.Stderr, "charts: flag provided but not defined: %s (see charts -h)\n", a)
			return 2
		}
	}
	files := args
	if len(files) == 0 {
		var err error
		if files, err = bookDataFiles(); err != nil {
			fmt.Fprintf(os.Stderr, "charts: %v\n", err)
			return 1
		}
	}
	for _, f := range files {
		if err := drawFile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("drew %s\n", shortPath(strings.TrimSuffix(f, ".txt")+".svg"))
	}
	return 0
}

// bookDataFiles returns book/figures/*.txt of the nearest directory, from
// the current one up, that holds a book/figures directory.
func bookDataFiles() ([]string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if fi, err := os.Stat(filepath.Join(dir, "book", "figures")); err == nil && fi.IsDir() {
			files, err := filepath.Glob(filepath.Join(dir, "book", "figures", "*.txt"))
			if err == nil && len(files) == 0 {
				err = errors.New("no data files book/figures/*.txt")
			}
			return files, err
		}
		up := filepath.Dir(dir)
		if up == dir {
			return nil, errors.New("no book/figures directory here or in any parent directory; run it from the repository")
		}
		dir = up
	}
}

// drawFile draws the chart of the data file f beside it.
func drawFile(f string) error {
	data, err := os.ReadFile(f)
	if err != nil {
		return fmt.Errorf("charts: %v", err)
	}
	svg, err := chart(filepath.Base(f), data)
	if err != nil {
		return err
	}
	if err := os.WriteFile(strings.TrimSuffix(f, ".txt")+".svg", svg, 0o666); err != nil {
		return fmt.Errorf("charts: %v", err)
	}
	return nil
}

// chart returns the stamped chart of the data file named name.
func chart(name string, data []byte) ([]byte, error) {
	d, err := figure.Parse(name, data)
	if err != nil {
		return nil, err
	}
	svg, err := drawSVG(d)
	if err != nil {
		return nil, err
	}
	return figure.Stamped(svg, name, data), nil
}

// shortPath returns p relative to the current directory when it is below
// it, for messages.
func shortPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
