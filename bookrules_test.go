package asyncbook_test

// The book's page rules, on top of the includes, anchors, summary and output
// blocks of book_test.go. testdata/README.md states them for writers; each
// has a fixture in testdata/bookcheck/.
//
//   - Every fenced block is exactly one of: a listing (its body is only
//     {{#include ...}} lines), a ```console block (checked output, or marked
//     <!-- check: skip REASON -->), or a block marked
//     <!-- check: diagram --> or <!-- check: sketch --> on the line right
//     before its fence. Anything else is an error.
//   - A listing is at most maxListing lines once its includes are expanded
//     and anchor lines dropped, with no exception (the old
//     <!-- check: long REASON --> is an error), and each of its lines is at
//     most maxGoWidth columns, tabs expanded to tabWidth as the rendered
//     book shows them (see TestTabWidthIsTheRenderers). Its caption, the nearest non-blank line above the fence (or above
//     its check comment), is exactly <p class="caption">PATH</p>, PATH the
//     included file relative to the repository root, with a blank line
//     after it.
//   - Every line of a diagram block and of a console block is at most
//     maxWidth runes.
//   - A chapter page from chapter asidesFrom on (book/chNN-*.md, NN >=
//     asidesFrom) has at least minAsides asides: blockquotes whose first
//     line starts with a bold lead-in, `> **Aside: ...** ...`.
//   - A console block marked <!-- check: try FILE EDIT... --> is a "try
//     it": the program with FILE changed as the page invites the reader to
//     change it (tryit_test.go).
//   - In every Go file the book includes, no anchor marker is part of a doc
//     comment, or of a declaration go doc prints whole (type, const and var
//     declarations), so go doc never shows one.

import (
	"fmt"
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
)

const (
	maxListing = 40 // lines in a listing
	maxWidth   = 72 // runes in a line of a diagram or console block
	maxGoWidth = 80 // columns in a line of a listing, tabs expanded
	tabWidth   = 4  // columns a tab takes in a listing: book.css's tab-size
	asidesFrom = 4  // the first chapter whose page must have minAsides
	minAsides  = 2  // asides on each of those pages
)

// checkOptions are the options a check comment gives the fence after it.
type checkOptions struct {
	line      int    // of the comment, 1-based; 0 if the fence has none
	skip      bool   // a console block that is not run
	unordered bool   // a console block whose lines are a multiset
	diagram   bool   // a picture, not program output
	sketch    bool   // code or commands the reader writes, not program output
	try       *tryIt // a console block that runs the program changed so
}

const wantOptions = "want unordered, skip REASON, diagram, sketch or try FILE EDIT..."

// parseCheckOptions reads the check comment on the line before the fence f,
// if there is one. It reports a malformed comment and returns false.
func (c *checker) parseCheckOptions(where string, lines []string, f *fence) (checkOptions, bool) {
	var o checkOptions
	if f.line < 2 {
		return o, true
	}
	m := checkComment.FindStringSubmatch(lines[f.line-2])
	if m == nil {
		return o, true
	}
	o.line = f.line - 1
	opts := strings.Fields(m[1])
	if len(opts) == 0 {
		c.report(where, o.line, "empty check comment: %s", wantOptions)
		return o, false
	}
	switch opts[0] {
	case "long":
		c.report(where, o.line, "<!-- check: long --> is gone: no listing may be over %d lines; split it at function boundaries, with prose between the pieces, and drop the comment", maxListing)
		return o, true // and check the block as if it were not there
	case "try":
		t, err := parseTry(strings.TrimSpace(m[1])[len("try"):])
		if err != nil {
			c.report(where, o.line, "<!-- check: try -->: %v", err)
			return o, false
		}
		o.try = t
		return o, true
	case "skip":
		if len(opts) == 1 {
			c.report(where, o.line, "<!-- check: skip --> needs a reason: <!-- check: skip REASON -->")
			return o, false
		}
		o.skip = true
		return o, true
	case "diagram", "sketch":
		if len(opts) > 1 {
			c.report(where, o.line, "<!-- check: %s --> takes nothing after it", opts[0])
			return o, false
		}
		o.diagram, o.sketch = opts[0] == "diagram", opts[0] == "sketch"
		return o, true
	}
	for _, opt := range opts {
		switch opt {
		case "unordered":
			o.unordered = true
		case "numbers":
			c.report(where, o.line, "<!-- check: numbers --> is gone: write ~ before each number that varies (~55ms, ~3 waits) and drop the option; every other number is checked exactly")
			return o, false
		default:
			c.report(where, o.line, "unknown check option %q: %s", opt, wantOptions)
			return o, false
		}
	}
	return o, true
}

// includeTarget returns what l includes (PATH[:ANCHOR]) if l is one mdBook
// include and nothing else, matched by mdbook.Link as the resolver does.
func includeTarget(l string) (string, bool) {
	t := strings.TrimSpace(l)
	m := mdbook.Link.FindStringSubmatch(t)
	if m == nil || len(m[0]) != len(t) || (m[1] != "include" && m[1] != "rustdoc_include") {
		return "", false
	}
	return m[2], true
}

// isListing reports whether a block's body is only include lines.
func isListing(body []string) bool {
	if len(body) == 0 {
		return false
	}
	for _, l := range body {
		if _, ok := includeTarget(l); !ok {
			return false
		}
	}
	return true
}

// fencedBlock checks one closed fenced block f of page: what kind it is,
// and the rules for its kind.
func (c *checker) fencedBlock(page string, lines []string, f *fence) {
	where := c.rel(page)
	opts, ok := c.parseCheckOptions(where, lines, f)
	if !ok {
		return
	}
	console, listing := isConsole(f.info), isListing(f.body)
	switch {
	case opts.diagram || opts.sketch:
		if listing {
			c.report(where, opts.line, "this block is a listing (only {{#include}} lines): drop the check comment")
			return
		}
		if opts.diagram {
			c.checkWidth(where, f, "diagram")
		} else if console {
			c.checkWidth(where, f, "console")
		}
	case listing:
		if opts.skip || opts.unordered || opts.try != nil {
			c.report(where, opts.line, "skip, unordered and try are for ```console blocks; this block is a listing")
		}
		c.checkListing(page, lines, f)
	case console:
		c.checkWidth(where, f, "console")
		c.consoleBlock(where, f, opts)
	default:
		if opts.skip || opts.unordered || opts.try != nil {
			c.report(where, opts.line, "skip, unordered and try are for ```console blocks")
		}
		c.report(where, f.line, "unmarked code block: a block is a listing (only {{#include}} lines), checked output (```console, `$ go run ./DIR ...`), or marked <!-- check: diagram --> or <!-- check: sketch --> on the line before its fence")
	}
}

// checkWidth reports the lines of f's body wider than maxWidth runes.
func (c *checker) checkWidth(where string, f *fence, kind string) {
	for i, l := range f.body {
		if n := utf8.RuneCountInString(l); n > maxWidth {
			c.report(where, f.line+1+i, "%s line is %d columns wide, over %d", kind, n, maxWidth)
		}
	}
}

// checkListing checks a listing: one file, its caption, its length and
// its width. Includes that do not resolve are reported by checkIncludes and
// skipped here.
func (c *checker) checkListing(page string, lines []string, f *fence) {
	where := c.rel(page)
	file, n := "", 0
	for i, l := range f.body {
		arg, _ := includeTarget(l)
		target := strings.Fields(arg)
		if len(target) == 0 {
			return
		}
		rel, got, ok := c.expandInclude(page, target[0])
		if !ok {
			return
		}
		if file != "" && rel != file {
			c.report(where, f.line+1+i, "a listing shows one file; this one includes %s and %s", file, rel)
			return
		}
		file = rel
		n += len(got)
		c.checkGoWidth(where, f.line+1+i, rel, got)
	}

	top := f.line // 1-based line of the fence, or of a check comment above it
	if top >= 2 && checkComment.MatchString(lines[top-2]) {
		top-- // a listing takes no check comment, but one is reported already
	}
	caption := `<p class="caption">` + file + `</p>`
	above := top - 1 // 1-based line just above top
	for above >= 1 && strings.TrimSpace(lines[above-1]) == "" {
		above--
	}
	switch {
	case above < 1 || !strings.HasPrefix(strings.TrimSpace(lines[above-1]), `<p class="caption">`):
		c.report(where, f.line, "listing has no caption: put %s and a blank line above it", caption)
	case strings.TrimSpace(lines[above-1]) != caption:
		c.report(where, above, "caption %s does not name the listing's file: want %s", strings.TrimSpace(lines[above-1]), caption)
	case above == top-1:
		c.report(where, above, "put a blank line between the caption and the listing")
	}

	if n > maxListing {
		c.report(where, f.line, "listing is %d lines, over %d: split it at function boundaries with prose between the pieces", n, maxListing)
	}
}

// checkGoWidth reports each of got, the lines one include (on line
// incLine of the page where) shows from the file rel, that is wider than
// maxGoWidth columns once its tabs are expanded; it names the line in
// rel too, found by matching got against the file in order.
func (c *checker) checkGoWidth(where string, incLine int, rel string, got []string) {
	var src []string // rel's lines, read only if a line is too wide
	next := 0        // where in src to look for the next wide line
	for _, l := range got {
		w := columns(l)
		if w <= maxGoWidth {
			continue
		}
		at := rel
		if src == nil {
			src, _ = mdbook.ReadLines(filepath.Join(c.root, filepath.FromSlash(rel)))
		}
		if i := slices.Index(src[min(next, len(src)):], l); i >= 0 {
			next += i
			at = fmt.Sprintf("%s:%d", rel, next+1)
			next++
		}
		c.report(where, incLine, "listing line from %s is %d columns wide (a tab is %d), over %d: wrap it: %s", at, w, tabWidth, maxGoWidth, strings.TrimSpace(l))
	}
}

// columns returns how many columns l takes on the rendered page: a rune
// is one, and a tab runs to the next multiple of tabWidth.
func columns(l string) int {
	n := 0
	for _, r := range l {
		if r == '\t' {
			n += tabWidth - n%tabWidth
			continue
		}
		n++
	}
	return n
}

// asideStart matches the first line of an aside: a blockquote that opens
// with a bold lead-in.
var asideStart = regexp.MustCompile(`^ {0,3}> ?\*\*\S`)

// chapterPage matches a chapter page's file name and captures its number.
var chapterPage = regexp.MustCompile(`^ch([0-9]+)-.*\.md$`)

// checkAsides reports a chapter page from chapter asidesFrom on that has
// fewer than minAsides asides. A blockquote inside a fenced block does not
// count, nor one whose first line has no bold lead-in.
func (c *checker) checkAsides(page string, lines []string) {
	m := chapterPage.FindStringSubmatch(filepath.Base(page))
	if m == nil {
		return
	}
	if n, _ := strconv.Atoi(m[1]); n < asidesFrom {
		return
	}
	count, fenceMark, prevQuote := 0, "", false
	for _, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if run := fenceRun(trimmed); run != "" {
			switch {
			case fenceMark == "":
				fenceMark = run
			case strings.HasPrefix(run, fenceMark) && strings.TrimSpace(trimmed[len(run):]) == "":
				fenceMark = ""
			}
			prevQuote = false
			continue
		}
		if fenceMark != "" {
			continue
		}
		quote := strings.HasPrefix(trimmed, ">") && len(l)-len(trimmed) <= 3
		if quote && !prevQuote && asideStart.MatchString(l) {
			count++
		}
		prevQuote = quote
	}
	if count < minAsides {
		c.report(c.rel(page), 1, "the page has %d asides, under %d for a chapter from chapter %d on: an aside is a blockquote whose first line starts with a bold lead-in, > **Aside: TITLE.** TEXT", count, minAsides, asidesFrom)
	}
}

// expandInclude returns the lines an include of target (PATH or PATH:SPEC,
// PATH relative to page) shows, without anchor marker lines, and the file's
// path relative to the root. It returns false for an include that
// checkInclude reports. The rules are mdbook.Resolver's, shared with the
// renderer.
func (c *checker) expandInclude(page, target string) (rel string, lines []string, ok bool) {
	return c.res.Lines(page, target)
}

// checkDocAnchors checks every Go file the book includes: no anchor marker
// may be part of a doc comment, or lie inside a type, const or var
// declaration, since go doc shows both.
func (c *checker) checkDocAnchors() {
	var files []string
	for _, p := range c.res.Included() {
		if strings.HasSuffix(p, ".go") {
			files = append(files, p)
		}
	}
	slices.Sort(files)
	for _, p := range files {
		c.docAnchors(p)
	}
}

// docAnchors reports the anchor markers go doc would show in the Go file p.
func (c *checker) docAnchors(p string) {
	fset := gotoken.NewFileSet()
	f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		c.report(c.rel(p), 0, "%v", err)
		return
	}
	type shown struct {
		group *ast.CommentGroup
		why   string
	}
	var groups []shown
	if f.Doc != nil {
		groups = append(groups, shown{f.Doc, "in the package comment, so go doc shows it: leave a blank line below the marker"})
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Doc != nil {
				groups = append(groups, shown{d.Doc, "in the doc comment of " + d.Name.Name + ", so go doc shows it: leave a blank line below the marker"})
			}
		case *ast.GenDecl:
			if d.Tok == gotoken.IMPORT {
				continue
			}
			if d.Doc != nil {
				groups = append(groups, shown{d.Doc, "in a doc comment, so go doc shows it: leave a blank line below the marker"})
			}
			for _, g := range f.Comments {
				if g.Pos() > d.Pos() && g.End() <= d.End() {
					groups = append(groups, shown{g, "inside a " + d.Tok.String() + " declaration, which go doc prints whole: move it outside"})
				}
			}
		}
	}
	for _, s := range groups {
		for _, cm := range s.group.List {
			first := fset.Position(cm.Pos()).Line
			for i, l := range strings.Split(cm.Text, "\n") {
				for _, re := range []*regexp.Regexp{anchorStart, anchorEnd} {
					if m := re.FindString(l); m != "" {
						c.report(c.rel(p), first+i, "%s is %s", m, s.why)
					}
				}
			}
		}
	}
}

// TestTabWidthIsTheRenderers checks that the width rule for listings
// expands tabs as the rendered book shows them: the tab-size that
// cmd/book's style sheet gives a listing (main pre) is tabWidth.
func TestTabWidthIsTheRenderers(t *testing.T) {
	css, err := os.ReadFile(filepath.Join("cmd", "book", "assets", "book.css"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)main pre \{[^}]*?tab-size:\s*([0-9]+)`).FindSubmatch(css)
	if m == nil {
		t.Fatal("cmd/book/assets/book.css: no tab-size in the main pre rule; a browser shows a tab 8 wide then")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != tabWidth {
		t.Errorf("book.css sets tab-size %d for listings, the checker expands tabs to %d: make them agree", n, tabWidth)
	}
}

// TestGoDocShowsNoAnchor checks what the reader of the API sees: go doc, of
// every package in the module with non-test files (unexported names and
// commands included), shows no anchor marker.
func TestGoDocShowsNoAnchor(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go doc for every package")
	}
	hashSources(t)
	out, err := exec.Command("go", "list", "-f", "{{if .GoFiles}}{{.ImportPath}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	if len(strings.Fields(string(out))) == 0 {
		t.Fatal("go list ./... found no package to document")
	}
	for _, pkg := range strings.Fields(string(out)) {
		t.Run(strings.TrimPrefix(pkg, "github.com/asyncbook/asyncbook/"), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command("go", "doc", "-all", "-u", "-cmd", pkg)
			doc, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go doc -all -u -cmd %s: %v\n%s", pkg, err, doc)
			}
			for i, l := range strings.Split(string(doc), "\n") {
				if strings.Contains(l, "ANCHOR") {
					t.Errorf("go doc -all -u -cmd %s, line %d: %s", pkg, i+1, strings.TrimSpace(l))
				}
			}
		})
	}
}
