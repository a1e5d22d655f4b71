package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// config is the part of mdbook.toml the renderer reads. Keys it does not
// know (mdBook has many) are ignored, as mdBook ignores keys of other
// renderers.
type config struct {
	Book struct {
		Title    string   `toml:"title"`
		Authors  []string `toml:"authors"`
		Language string   `toml:"language"`
		Src      string   `toml:"src"`
	} `toml:"book"`
	Build struct {
		BuildDir string `toml:"build-dir"`
	} `toml:"build"`
	Output struct {
		HTML struct {
			AdditionalCSS []string `toml:"additional-css"`
			AdditionalJS  []string `toml:"additional-js"`
		} `toml:"html"`
	} `toml:"output"`
}

// configFile returns the book's config file in root: mdbook.toml, or
// book.toml, which stock mdBook reads.
func configFile(root string) string {
	p := filepath.Join(root, "mdbook.toml")
	if _, err := os.Stat(p); err != nil {
		if q := filepath.Join(root, "book.toml"); fileExists(q) {
			return q
		}
	}
	return p
}

// loadConfig reads and checks the config file. An error is one line naming
// the file and, where it can, the line.
func loadConfig(root string) (*config, error) {
	file := configFile(root)
	name := filepath.Base(file)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s:0: %v", name, err)
	}
	c := new(config)
	if _, err := toml.Decode(string(data), c); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, oneLine(pe.Message))
		}
		return nil, fmt.Errorf("%s:%d: %s", name, lineOf(data, ""), oneLine(err.Error()))
	}
	if c.Book.Src == "" {
		c.Book.Src = "src"
	}
	if c.Build.BuildDir == "" {
		c.Build.BuildDir = "book"
	}
	if fi, err := os.Stat(filepath.Join(root, c.Book.Src)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%s:%d: src = %q: no such directory", name, lineOf(data, "src"), c.Book.Src)
	}
	for _, list := range [][]string{c.Output.HTML.AdditionalCSS, c.Output.HTML.AdditionalJS} {
		for _, f := range list {
			if filepath.IsAbs(f) || !fileExists(filepath.Join(root, f)) {
				return nil, fmt.Errorf("%s:%d: %q: no such file in the book's directory", name, lineOf(data, f), f)
			}
		}
	}
	return c, nil
}

// lineOf returns the first line of data holding s, or 1.
func lineOf(data []byte, s string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if s != "" && strings.Contains(l, s) {
			return i + 1
		}
	}
	return 1
}

// oneLine joins the lines of a message into one.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// fileExists reports whether p names a file (not a directory).
func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}
