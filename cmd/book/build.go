package main

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/asyncbook/asyncbook/cmd/book/figure"
	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
)

//go:embed assets
var assets embed.FS

// A site is a built book: every output file by its slash-separated path.
type site struct {
	files map[string][]byte
	pages []string // the HTML pages, in SUMMARY order
	watch []string // the files, and the directory trees, a rebuild depends on

	listings []placement // where every captioned listing sits, in book order
}

// A buildError is every problem that stopped a build, one per line.
type buildError []mdbook.Problem

func (e buildError) Error() string {
	lines := make([]string, len(e))
	for i, p := range e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// A page is one chapter being built.
type page struct {
	entry  mdbook.Entry
	src    string // absolute path of the Markdown
	out    string // output path, e.g. "ch01-models.html"
	source []byte // after includes are expanded
	html   template.HTML
	title  string
	ids    map[string]bool
	links  []string // link destinations, as written
	images []string

	sections   []section   // for search, in page order
	placements []placement // of the page's listings, in page order
}

// builder holds one build's state.
type builder struct {
	root, bookDir string
	cfg           *config
	res           *mdbook.Resolver
	md            goldmark.Markdown
	pages         []*page
	byPath        map[string]*page // by path relative to bookDir
	figures       map[string]bool  // figures already checked
	sources       map[string]bool  // source files a caption links to
}

// build renders the book in the repository root into memory.
func build(root string) (*site, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(root)
	if err != nil {
		return nil, err
	}
	res, err := mdbook.NewResolver(root)
	if err != nil {
		return nil, err
	}
	b := &builder{
		root: root, bookDir: filepath.Join(root, cfg.Book.Src), cfg: cfg, res: res,
		byPath: make(map[string]*page), figures: make(map[string]bool),
		sources: make(map[string]bool),
	}
	b.md = goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(html.WithUnsafe(), renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 100), util.Prioritized(readerRenderer{}, 100))),
	)
	s := &site{files: make(map[string][]byte)}
	summary := res.Summary(b.bookDir)
	s.watch = append(s.watch, configFile(root), b.bookDir)
	res.Listed(b.bookDir, summary)
	for _, e := range summary.Pages() {
		if b.byPath[e.Path] != nil || !fileExists(filepath.Join(b.bookDir, filepath.FromSlash(e.Path))) {
			continue // listed twice (one page), or missing (reported)
		}
		p := &page{entry: e, src: filepath.Join(b.bookDir, filepath.FromSlash(e.Path)), out: strings.TrimSuffix(e.Path, ".md") + ".html"}
		b.byPath[e.Path] = p
		b.pages = append(b.pages, p)
		b.parse(p)
	}
	for _, p := range b.pages {
		b.checkLinks(p)
	}
	s.watch = append(s.watch, res.Included()...)
	if len(res.Problems) > 0 {
		ps := slices.Clone(res.Problems)
		slices.SortStableFunc(ps, func(a, c mdbook.Problem) int {
			if d := strings.Compare(a.File, c.File); d != 0 {
				return d
			}
			return a.Line - c.Line
		})
		return s, buildError(ps)
	}
	if err := b.render(s, summary); err != nil {
		return s, err
	}
	return s, nil
}

// parse expands a page's includes, renders its Markdown and collects its
// headings, links and text.
func (b *builder) parse(p *page) {
	data, err := os.ReadFile(p.src)
	if err != nil {
		b.res.Report(b.res.Rel(p.src), 0, "%v", err)
		return
	}
	// The includes are expanded twice: once as written, for problems
	// reported at the lines the author sees; once with every listing
	// captioned, which may add lines, for the page itself.
	b.res.Expand(p.src, string(data))
	n := len(b.res.Problems)
	p.source = []byte(b.res.Expand(p.src, b.captionListings(p, string(data))))
	b.res.Problems = b.res.Problems[:n]
	ids := &mdbookIDs{seen: make(map[string]int)}
	ctx := parser.NewContext(parser.WithIDs(ids))
	doc := b.md.Parser().Parse(text.NewReader(p.source), parser.WithContext(ctx))
	p.ids = make(map[string]bool)
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if id, ok := n.AttributeString("id"); ok {
				p.ids[string(id.([]byte))] = true
			}
			if p.title == "" && n.Level == 1 {
				p.title = plainText(n, p.source)
			}
		case *ast.Link:
			p.links = append(p.links, string(n.Destination))
			n.Destination = []byte(mdToHTML(string(n.Destination)))
		case *ast.Image:
			p.images = append(p.images, string(n.Destination))
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	if p.title == "" {
		p.title = p.entry.Title
	}
	p.sections = sections(doc, p.source)
	var out bytes.Buffer
	if err := b.md.Renderer().Render(&out, p.source, doc); err != nil {
		b.res.Report(b.res.Rel(p.src), 0, "%v", err)
	}
	p.html = template.HTML(out.String())
}

// plainText returns the text of an inline node's children.
func plainText(n ast.Node, src []byte) string {
	var s strings.Builder
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			s.Write(t.Segment.Value(src))
		}
		return ast.WalkContinue, nil
	})
	return s.String()
}

// hasScheme matches a link to another site (or mailto:).
var hasScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

// mdToHTML turns a link to a page, page.md#x, into one to its HTML.
func mdToHTML(dest string) string {
	if hasScheme.MatchString(dest) {
		return dest
	}
	p, frag, hasFrag := strings.Cut(dest, "#")
	if strings.HasSuffix(p, ".md") {
		p = strings.TrimSuffix(p, ".md") + ".html"
	}
	if hasFrag {
		return p + "#" + frag
	}
	return p
}

// checkLinks reports every link of p to a page, anchor or file that does
// not exist, and checks every figure p shows.
func (b *builder) checkLinks(p *page) {
	where := b.res.Rel(p.src)
	dir := path.Dir(p.entry.Path)
	for _, dest := range p.links {
		if hasScheme.MatchString(dest) {
			continue
		}
		target, frag, _ := strings.Cut(dest, "#")
		to := p
		if target != "" {
			rel := path.Join(dir, target)
			if strings.HasPrefix(rel, "../") || !fileExists(filepath.Join(b.bookDir, filepath.FromSlash(rel))) {
				b.res.Report(where, b.lineOf(p, dest), "link %s: no such file in the book", dest)
				continue
			}
			if !strings.HasSuffix(rel, ".md") {
				continue
			}
			if to = b.byPath[rel]; to == nil {
				b.res.Report(where, b.lineOf(p, dest), "link %s: the page is not in SUMMARY.md", dest)
				continue
			}
		}
		if frag != "" && !to.ids[frag] {
			b.res.Report(where, b.lineOf(p, dest), "link %s: no heading #%s in %s", dest, frag, to.entry.Path)
		}
	}
	for _, dest := range p.images {
		if hasScheme.MatchString(dest) {
			continue
		}
		rel := path.Join(dir, dest)
		file := filepath.Join(b.bookDir, filepath.FromSlash(rel))
		if strings.HasPrefix(rel, "../") || !fileExists(file) {
			b.res.Report(where, b.lineOf(p, dest), "image %s: no such file in the book", dest)
			continue
		}
		if strings.HasSuffix(rel, ".svg") && !b.figures[file] {
			b.figures[file] = true
			if err := checkFigure(file); err != nil {
				b.res.Report(where, b.lineOf(p, dest), "figure %s: %v", dest, err)
			}
		}
	}
}

// checkFigure checks that the SVG file is drawn from a data file beside it
// (NAME.svg from NAME.txt) and is current with it: that it carries the
// stamp of the data file as it is now (see figure.Stamp). The charts' own
// test checks that the drawing itself is current.
func checkFigure(svg string) error {
	dataFile := strings.TrimSuffix(svg, ".svg") + ".txt"
	data, err := os.ReadFile(dataFile)
	if err != nil {
		return fmt.Errorf("names no data file: want %s beside it, with the raw go test -bench output it is drawn from", filepath.Base(dataFile))
	}
	if _, err := figure.Parse(filepath.Base(dataFile), data); err != nil {
		return err
	}
	got, err := os.ReadFile(svg)
	if err != nil {
		return err
	}
	if !figure.Current(got, filepath.Base(dataFile), data) {
		return fmt.Errorf("is stale: it was not drawn from %s as it is now; run go run ./cmd/book charts", filepath.Base(dataFile))
	}
	return nil
}

// lineOf returns the line of p's source that holds dest, for a message.
func (b *builder) lineOf(p *page, dest string) int {
	data, err := os.ReadFile(p.src)
	if err != nil {
		return 0
	}
	for i, l := range mdbook.SplitLines(string(data)) {
		if strings.Contains(l, "("+dest) || strings.Contains(l, `"`+dest+`"`) {
			return i + 1
		}
	}
	return 1
}

// mdbookIDs gives headings the ids mdBook gives them (normalize_id in
// mdBook's src/utils/mod.rs): letters, digits, _ and - lower-cased, spaces
// as -, the rest dropped; a repeated id gets -1, -2, ...
type mdbookIDs struct{ seen map[string]int }

// Generate implements parser.IDs.
func (ids *mdbookIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	var b strings.Builder
	for _, r := range string(value) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-':
			if r < unicode.MaxASCII {
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte('-')
		}
	}
	id := b.String()
	n := ids.seen[id]
	ids.seen[id]++
	if n > 0 {
		id = fmt.Sprintf("%s-%d", id, n)
	}
	return []byte(id)
}

// Put implements parser.IDs.
func (ids *mdbookIDs) Put(value []byte) { ids.seen[string(value)]++ }

// codeRenderer renders fenced code blocks: the languages the book uses
// (fenceLexer) through chroma, as spans with classes that highlight.css
// colours in the light and the dark theme; anything else, text included,
// as preformatted text, exactly as written.
type codeRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderFenced)
}

// chromaFormatter writes Go tokens as spans with chroma's classes.
var chromaFormatter = chromahtml.New(chromahtml.WithClasses(true), chromahtml.PreventSurroundingPre(true))

// fenceLexer returns chroma's lexer for a fence's language, or nil for
// text and any language the book does not use. A console block is a shell
// session: the commands after a $ prompt are highlighted as shell, the
// output is left plain.
func fenceLexer(lang string) chroma.Lexer {
	switch lang {
	case "go", "rust":
	case "sh", "shell", "bash":
		lang = "bash"
	case "console", "shell-session":
		lang = "console"
	default:
		return nil
	}
	return lexers.Get(lang)
}

func renderFenced(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	fb := n.(*ast.FencedCodeBlock)
	lang := string(fb.Language(src))
	var code bytes.Buffer
	for i := 0; i < fb.Lines().Len(); i++ {
		seg := fb.Lines().At(i)
		code.Write(seg.Value(src))
	}
	// A listing cut at an anchor often starts with the blank line that
	// keeps the marker off a doc comment; it shows nothing, so drop blank
	// lines at either end.
	body := strings.Trim(code.String(), "\n")
	if body != "" {
		body += "\n"
	}
	code.Reset()
	code.WriteString(body)
	class := ""
	if lang != "" {
		class = ` class="language-` + template.HTMLEscapeString(lang) + `"`
	}
	if lexer := fenceLexer(lang); lexer != nil {
		it, err := chroma.Coalesce(lexer).Tokenise(nil, code.String())
		if err == nil {
			fmt.Fprintf(w, `<pre class="chroma"><code%s>`, class)
			if err := chromaFormatter.Format(w, styles.Get("github"), it); err != nil {
				return ast.WalkStop, err
			}
			w.WriteString("</code></pre>\n")
			return ast.WalkSkipChildren, nil
		}
	}
	fmt.Fprintf(w, "<pre><code%s>", class)
	w.WriteString(template.HTMLEscapeString(code.String()))
	w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}

// highlightCSS returns the CSS for chroma's classes: github's colours in
// the light theme, github-dark's in the dark one.
func highlightCSS() ([]byte, error) {
	var out bytes.Buffer
	for _, t := range []struct{ theme, style string }{{"light", "github"}, {"dark", "github-dark"}} {
		var css bytes.Buffer
		if err := chromaFormatter.WriteCSS(&css, styles.Get(t.style)); err != nil {
			return nil, err
		}
		for _, l := range strings.Split(css.String(), "\n") {
			// Each rule reads /* Kind */ .chroma .k { ... }; scope it
			// to the theme, and leave the background to book.css, and
			// a console block's output (GenericOutput, .go) plain.
			if i := strings.Index(l, ".chroma"); i >= 0 && !strings.Contains(l, "background-color") && !strings.Contains(l, ".chroma .go ") {
				fmt.Fprintf(&out, "html.%s %s\n", t.theme, l[i:])
			}
		}
	}
	return out.Bytes(), nil
}

// A navItem is one line of the sidebar.
type navItem struct {
	Href             string
	Number           string
	Title            template.HTML
	Depth            int
	Active           bool
	Draft, Part, Sep bool
}

// A pageData is what the page template shows.
type pageData struct {
	BookTitle string
	Title     string
	Root      string // relative path from the page to the book's root, "" or "../"
	Nav       []navItem
	Content   template.HTML
	Prev      *navItem
	Next      *navItem
	CSS       []string
	JS        []string
	Lang      string
	Print     bool // the whole book on one page
}

// inlineMarkdown renders a SUMMARY title (Markdown, one line) as HTML.
func (b *builder) inlineMarkdown(s string) template.HTML {
	var out bytes.Buffer
	if err := b.md.Convert([]byte(s), &out); err != nil {
		return template.HTML(template.HTMLEscapeString(s))
	}
	h := strings.TrimSpace(out.String())
	h = strings.TrimSuffix(strings.TrimPrefix(h, "<p>"), "</p>")
	return template.HTML(h)
}

// render writes every page, the search index and the static files into s.
func (b *builder) render(s *site, summary *mdbook.Summary) error {
	tmpl, err := template.ParseFS(assets, "assets/page.html")
	if err != nil {
		return err
	}
	title := b.cfg.Book.Title
	if title == "" {
		title = summary.Title
	}
	nav := func(root, active string) []navItem {
		var items []navItem
		for _, e := range summary.Entries {
			it := navItem{Number: e.Number, Title: b.inlineMarkdown(e.Title), Depth: e.Depth, Draft: e.Draft, Part: e.Part, Sep: e.Separator}
			if e.Path != "" {
				it.Href = root + b.byPath[e.Path].out
				it.Active = e.Path == active
			}
			items = append(items, it)
		}
		return items
	}
	lang := b.cfg.Book.Language
	if lang == "" {
		lang = "en"
	}
	execute := func(name string, d pageData) error {
		d.BookTitle, d.Lang = title, lang
		d.CSS, d.JS = b.cfg.Output.HTML.AdditionalCSS, b.cfg.Output.HTML.AdditionalJS
		var out bytes.Buffer
		if err := tmpl.Execute(&out, d); err != nil {
			return err
		}
		s.files[name] = out.Bytes()
		return nil
	}
	for i, p := range b.pages {
		root := strings.Repeat("../", strings.Count(p.entry.Path, "/"))
		d := pageData{Title: p.title, Root: root, Content: p.html, Nav: nav(root, p.entry.Path)}
		if i > 0 {
			q := b.pages[i-1]
			d.Prev = &navItem{Href: root + q.out, Title: template.HTML(template.HTMLEscapeString(q.title))}
		}
		if i+1 < len(b.pages) {
			q := b.pages[i+1]
			d.Next = &navItem{Href: root + q.out, Title: template.HTML(template.HTMLEscapeString(q.title))}
		}
		if err := execute(p.out, d); err != nil {
			return err
		}
		s.pages = append(s.pages, p.out)
		s.listings = append(s.listings, p.placements...)
		if i == 0 {
			// mdBook's index.html is the first page.
			s.files["index.html"] = s.files[p.out]
		}
	}
	if len(b.pages) > 0 {
		err := execute("print.html", pageData{Title: "The whole book", Content: b.printContent(), Nav: nav("", ""), Print: true})
		if err != nil {
			return err
		}
		// 404.html is served in place of a page at any depth, so it
		// names the book's files from the site's root, as mdBook's does.
		if err := execute("404.html", pageData{Title: "Page not found", Root: "/", Content: notFoundContent(b.pages[0].out), Nav: nav("/", "")}); err != nil {
			return err
		}
	}
	for file := range b.sources {
		data, err := os.ReadFile(filepath.Join(b.root, filepath.FromSlash(file)))
		if err != nil {
			return err
		}
		content, err := sourceHTML(file, data)
		if err != nil {
			return err
		}
		name := sourcePage(file)
		root := strings.Repeat("../", strings.Count(name, "/"))
		if err := execute(name, pageData{Title: file, Root: root, Content: content, Nav: nav(root, "")}); err != nil {
			return err
		}
	}
	idx, err := b.searchIndex()
	if err != nil {
		return err
	}
	s.files["searchindex.json"] = idx
	s.files["searchindex.js"] = append(append([]byte("window.bookSearchIndex = "), idx...), ";\n"...)
	hl, err := highlightCSS()
	if err != nil {
		return err
	}
	s.files["highlight.css"] = hl
	for _, name := range []string{"book.css", "book.js"} {
		data, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return err
		}
		s.files[name] = data
	}
	// Every file in the book directory that is not a page, as mdBook
	// copies them (figures, their data), and the additional CSS and JS.
	err = filepath.WalkDir(b.bookDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") {
			return err
		}
		rel, _ := filepath.Rel(b.bookDir, p)
		data, err := os.ReadFile(p)
		s.files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		return err
	}
	for _, f := range slices.Concat(b.cfg.Output.HTML.AdditionalCSS, b.cfg.Output.HTML.AdditionalJS) {
		data, err := os.ReadFile(filepath.Join(b.root, f))
		if err != nil {
			return err
		}
		s.files[filepath.ToSlash(filepath.Clean(f))] = data
	}
	return nil
}

// write writes the site into dir, replacing what was there.
func (s *site) write(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, data := range s.files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o666); err != nil {
			return err
		}
	}
	return nil
}
