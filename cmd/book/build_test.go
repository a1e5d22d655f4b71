package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
	"github.com/asyncbook/asyncbook/cmd/book/mdbook/mdbooktest"
	"github.com/rogpeppe/go-internal/txtar"
)

// repoRoot is the repository root, two directories up from this package.
const repoRoot = "../.."

// TestBuildFixtures builds every fixture book in testdata/ and checks that
// the build reports exactly the problems the fixture's want file lists (one
// substring of a problem per line), and good-book none.
func TestBuildFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			root, want := unpackFixture(t, file)
			if (name == "good-book") != (len(want) == 0) {
				t.Fatalf("%s: only good-book wants no problems", file)
			}
			_, err := build(root)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			for _, w := range want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.Contains(g, w) }) {
					t.Errorf("no problem contains %q", w)
				}
			}
			for _, g := range got {
				if !slices.ContainsFunc(want, func(w string) bool { return strings.Contains(g, w) }) {
					t.Errorf("unexpected problem: %s", g)
				}
			}
			if t.Failed() {
				t.Logf("all problems:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// unpackFixture writes the txtar file's files under a new directory and
// returns it with the non-blank lines of the file named want.
func unpackFixture(t *testing.T, file string) (root string, want []string) {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	root = t.TempDir()
	return root, mdbooktest.Unpack(t, ar, root)
}

// buildGood builds the good fixture, testdata/good-book.txtar.
func buildGood(t *testing.T) *site {
	t.Helper()
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	s, err := build(root)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestGoodBookRendering checks that the good fixture renders the book's
// conventions as a reader should see them.
func TestGoodBookRendering(t *testing.T) {
	s := buildGood(t)
	if want := []string{"intro.html", "ch01.html", "ch01/section.html", "appendix.html"}; !slices.Equal(s.pages, want) {
		t.Errorf("pages %q, want %q in SUMMARY order", s.pages, want)
	}
	ch01 := string(s.files["ch01.html"])
	for _, want := range []string{
		// Captions, placed by the renderer.
		`<p class="caption"><a href="source/code/main.go.html#L4">code/main.go</a> · <span class="caption-decl">main</span> · <span class="caption-lines">lines 4-6</span></p>`,
		`<a href="source/code/task.go.html#L10">code/task.go</a> · <span class="caption-decl">(*header).notify</span> · <span class="caption-lines">lines 10-16</span>`,
		`<span class="caption-decl">in (*header).notify</span> · <span class="caption-lines">line 14</span>`,
		`<span class="caption-decl">header, limit</span> · <span class="caption-lines">lines 4-6</span>`,
		`<span class="kd">func</span>`,                                       // the Go listing, highlighted
		"<aside class=\"aside\">\n<p><strong>Aside: Why.</strong>",           // the aside
		"<blockquote>\n<p>A quote, not an aside.",                            // a quote stays one
		`<h2 id="the-code">The code<a class="heading-link" href="#the-code"`, // a self-link
		"<!-- check: diagram -->",                                            // the comment, invisible
		`<pre><code class="language-text">a --&gt; b`,                        // the diagram, as written
		`<code class="language-rust"><span class="k">fn</span>`,
		`<code class="language-sh">go <span class="nb">test</span>`,
		`<span class="gp">$</span> go run ./code`,                 // a console command, highlighted
		"<span class=\"go\">hello\n</span>",                       // and its output, plain
		"took ~55ms",                                              // ~N, as written
		`<h2 id="the-code-1">`,                                    // mdBook's ids
		"Lines 1 to 2: package main\n",                            // a line range
		`href="book/theme/extra.css"`,                             // additional CSS
		`<a rel="prev" class="nav-prev" href="intro.html"`,        // previous
		`<a rel="next" class="nav-next" href="ch01/section.html"`, // next
		`<strong>2.</strong> Chapter 2 <em class="not-written">(not yet written)</em>`,
		`<strong>1.</strong> Chapter 1: <code>Future[T]</code>`,
		`<strong>1.1.</strong> A section`,
		`<strong>3.</strong> Appendix`,
	} {
		if !strings.Contains(ch01, want) {
			t.Errorf("ch01.html does not contain %q", want)
		}
	}
	for _, bad := range []string{"ANCHOR", "{{#include", "typed by hand"} {
		if strings.Contains(ch01, bad) {
			t.Errorf("ch01.html contains %q", bad)
		}
	}
	intro := string(s.files["intro.html"])
	if !strings.Contains(intro, `href="ch01.html#the-code"`) || !strings.Contains(intro, "Say {{#include not-a-file.go}}.") {
		t.Errorf("intro.html: links not rewritten to .html, or the escaped include not shown as text:\n%s", intro)
	}
	section := string(s.files["ch01/section.html"])
	if !strings.Contains(section, `href="../ch01.html#the-code"`) || !strings.Contains(section, `href="../book.css"`) {
		t.Errorf("ch01/section.html: links not relative to its directory")
	}
	if !bytes.Equal(s.files["index.html"], s.files["intro.html"]) {
		t.Errorf("index.html is not the first page")
	}
	for _, f := range []string{"book.css", "book.js", "highlight.css", "searchindex.js", "theme/extra.css", "book/theme/extra.css"} {
		if len(s.files[f]) == 0 {
			t.Errorf("no %s in the build", f)
		}
	}
	if !strings.Contains(string(s.files["highlight.css"]), "html.dark .chroma") {
		t.Errorf("highlight.css has no dark theme")
	}
	if strings.Contains(string(s.files["highlight.css"]), ".chroma .go ") {
		t.Errorf("highlight.css colours a console block's output")
	}
}

// TestBuildRealBook builds the book in book/: every include resolves, every
// link and image leads somewhere, every figure is current with its data.
func TestBuildRealBook(t *testing.T) {
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	res, err := mdbook.NewResolver(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	pages := res.Summary(filepath.Join(repoRoot, "book")).Pages()
	if len(s.pages) != len(pages) || len(pages) == 0 {
		t.Errorf("built %d pages, SUMMARY.md lists %d", len(s.pages), len(pages))
	}
}

// TestBuildErrorsAreLines checks that a failed build is reported as
// file:line: message lines, one per problem.
func TestBuildErrorsAreLines(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "dead-link.txtar"))
	err := buildCmd(root, filepath.Join(t.TempDir(), "out"))
	if err == nil {
		t.Fatal("a broken book built")
	}
	line := regexp.MustCompile(`^[^\s:]+:\d+: \S`)
	for _, l := range strings.Split(err.Error(), "\n") {
		if !line.MatchString(l) {
			t.Errorf("problem line %q is not file:line: message", l)
		}
	}
}

// TestBuildWritesDir checks that build writes a directory a browser opens
// from the file system, and refuses to replace the sources.
func TestBuildWritesDir(t *testing.T) {
	root, _ := unpackFixture(t, filepath.Join("testdata", "good-book.txtar"))
	out := filepath.Join(t.TempDir(), "site")
	if err := buildCmd(root, out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"index.html", "ch01/section.html", "searchindex.js"} {
		if !fileExists(filepath.Join(out, f)) {
			t.Errorf("no %s in %s", f, out)
		}
	}
	for _, bad := range []string{root, filepath.Join(root, "book"), filepath.Dir(root)} {
		if err := buildCmd(root, bad); err == nil || !strings.Contains(err.Error(), "choose a directory of its own") {
			t.Errorf("build -o %s: err = %v, want a refusal", bad, err)
		}
	}
	if !fileExists(filepath.Join(root, "book", "SUMMARY.md")) {
		t.Fatal("the sources are gone")
	}
}

// TestServeShowsProblem checks that the server keeps the last good build
// and shows the last build's problem at the top of each page.
func TestServeShowsProblem(t *testing.T) {
	s := buildGood(t)
	srv := &server{}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	srv.err = buildError{{File: "book/ch01.md", Line: 4, Msg: "no such file"}}
	if code, body := get("/"); code != http.StatusInternalServerError || !strings.Contains(body, "book/ch01.md:4: no such file") {
		t.Errorf("with no good build: %d %q", code, body)
	}
	srv.good, srv.err = s, nil
	if code, body := get("/ch01.html"); code != http.StatusOK || strings.Contains(body, "build-error") {
		t.Errorf("good build: %d, or an error shown", code)
	}
	srv.err = buildError{{File: "book/ch01.md", Line: 4, Msg: "no such <file>"}}
	code, body := get("/ch01.html")
	if code != http.StatusOK || !strings.Contains(body, `<body>`+"\n"+`<pre class="build-error" id="build-error">book/ch01.md:4: no such &lt;file&gt;</pre>`) {
		t.Errorf("after a failed build: %d, no error banner:\n%.400s", code, body)
	}
	if !strings.Contains(body, `<aside class="aside">`) {
		t.Errorf("after a failed build the last good page is not served")
	}
	if code, _ := get("/nope.html"); code != http.StatusNotFound {
		t.Errorf("missing page: %d", code)
	}
	if code, body := get("/"); code != http.StatusOK || !strings.Contains(body, "Introduction") {
		t.Errorf("/: %d", code)
	}
}

// TestReaderFiles checks the files a reader uses beyond the pages, on the
// good fixture: print.html holds every page in order with ids made unique
// per page and links between pages turned into links within it; 404.html
// says what happened, links to the first page and takes the book's style
// from the site's root; the search index has one entry per section, with
// the section's heading id and the code of its listings; and each source
// file a caption links to has a page with an id on every line.
func TestReaderFiles(t *testing.T) {
	s := buildGood(t)
	print := string(s.files["print.html"])
	order := []string{`<section class="print-page" id="intro">`, `<section class="print-page" id="ch01">`, `<section class="print-page" id="ch01-section">`, `<section class="print-page" id="appendix">`}
	at := 0
	for _, want := range order {
		i := strings.Index(print[at:], want)
		if i < 0 {
			t.Fatalf("print.html: no %q after byte %d", want, at)
		}
		at += i
	}
	for _, want := range []string{
		`<h2 id="ch01-the-code">`, `<h2 id="ch01-the-code-1">`, // ids unique per page
		`href="#ch01-the-code"`,               // intro's link to ch01.html#the-code
		`href="#ch01"`,                        // intro's link to ch01.html
		`href="#ch01-the-code-1"`,             // ch01's own #the-code-1
		`href="source/code/task.go.html#L10"`, // a caption's link, from the root
	} {
		if !strings.Contains(print, want) {
			t.Errorf("print.html does not contain %q", want)
		}
	}
	if _, content, _ := strings.Cut(print, "<main"); strings.Contains(content, `href="ch01.html`) || strings.Contains(content, `href="../ch01.html`) {
		t.Errorf("print.html still links to a page it holds")
	}
	if !strings.Contains(string(s.files["ch01.html"]), `href="print.html"`) {
		t.Errorf("ch01.html has no link to print.html")
	}

	nf := string(s.files["404.html"])
	for _, want := range []string{"Page not found", `href="/intro.html"`, `href="/book.css"`, `src="/book.js"`} {
		if !strings.Contains(nf, want) {
			t.Errorf("404.html does not contain %q", want)
		}
	}

	var docs []searchDoc
	if err := json.Unmarshal(s.files["searchindex.json"], &docs); err != nil {
		t.Fatal(err)
	}
	js := string(s.files["searchindex.js"])
	if !strings.HasPrefix(js, "window.bookSearchIndex = ") || !strings.Contains(js, string(s.files["searchindex.json"])) {
		t.Errorf("searchindex.js does not hold searchindex.json")
	}
	found := false
	for _, d := range docs {
		if d.Page == "ch01.html" && d.Anchor == "the-code" {
			found = true
			if !strings.Contains(d.Text, `println("hello")`) || !strings.Contains(d.Text, "h.n--") || !strings.Contains(d.Text, "Because.") {
				t.Errorf("section ch01.html#the-code: the text lacks its listings or its aside: %q", d.Text)
			}
			if strings.Contains(d.Text, "Lines 1 to 2") {
				t.Errorf("section ch01.html#the-code holds the next section's text: %q", d.Text)
			}
		}
	}
	if !found {
		t.Errorf("no search entry for ch01.html#the-code in %+v", docs)
	}

	src := string(s.files["source/code/task.go.html"])
	if !strings.Contains(src, `id="L10"`) || !strings.Contains(src, `id="L17"`) || !strings.Contains(src, "notify tells the waiter") {
		t.Errorf("source/code/task.go.html does not show the file with an id per line:\n%.600s", src)
	}
}

// TestCaptionsRealBook checks every caption the book's listings get
// against the source, apart from the code that made it: the listing's
// first shown line is the file's line the caption names, and the page of
// the source file it links to has that line; each function or type it
// names is declared within its line range.
func TestCaptionsRealBook(t *testing.T) {
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	n := 0
	for _, pl := range s.listings {
		{
			n++
			lines, err := mdbook.ReadLines(filepath.Join(repoRoot, filepath.FromSlash(pl.File)))
			if err != nil {
				t.Fatal(err)
			}
			if pl.First < 1 || pl.Last > len(lines) || pl.First > pl.Last {
				t.Errorf("%s: %s: lines out of the file's %d", pl.File, pl, len(lines))
				continue
			}
			if src := s.files[sourcePage(pl.File)]; !bytes.Contains(src, []byte(`id="L`+strconv.Itoa(pl.First)+`"`)) {
				t.Errorf("%s: %s: the caption links to line %d of %s, which has no such line", pl.File, pl, pl.First, sourcePage(pl.File))
			}
			shown := strings.Join(lines[pl.First-1:pl.Last], "\n")
			if strings.TrimSpace(lines[pl.First-1]) == "" || strings.TrimSpace(lines[pl.Last-1]) == "" {
				t.Errorf("%s: %s: starts or ends on a blank line", pl.File, pl)
			}
			for _, name := range pl.Names {
				if strings.HasPrefix(name, "in ") {
					continue
				}
				short := name[strings.LastIndex(name, ".")+1:]
				decl := regexp.MustCompile(`(?m)^(func (\([^)]*\) )?|type |\t|var |const )` + regexp.QuoteMeta(short) + `\b`)
				if !decl.MatchString(shown) {
					t.Errorf("%s: %s: no declaration of %s in those lines", pl.File, pl, name)
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d listings placed; the book has over 200", n)
	}
}

// TestPrintRealBook checks print.html of the book in book/: every id is
// unique, and every link within the page leads to one of them.
func TestPrintRealBook(t *testing.T) {
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	print := string(s.files["print.html"])
	ids := make(map[string]int)
	for _, m := range regexp.MustCompile(`\sid="([^"]*)"`).FindAllStringSubmatch(print, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("print.html: id %q %d times", id, n)
		}
	}
	links := regexp.MustCompile(`\shref="#([^"]*)"`).FindAllStringSubmatch(print, -1)
	for _, m := range links {
		if ids[m[1]] == 0 {
			t.Errorf("print.html: link #%s leads to no id", m[1])
		}
	}
	if len(links) < 100 || len(ids) < 100 {
		t.Errorf("print.html has %d links within it and %d ids; the book has hundreds of headings", len(links), len(ids))
	}
}
