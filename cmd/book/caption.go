package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html/template"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"

	"github.com/asyncbook/asyncbook/cmd/book/mdbook"
)

// listingBlock matches a listing in a page's Markdown: a fenced block that
// holds one include and nothing else, with the caption written above it,
// if any. Submatch 1 is the caption line, 2 the fence, 3 the include's
// target (PATH or PATH:SPEC).
var listingBlock = regexp.MustCompile("(?m)^(<p class=\"caption\">[^\n]*</p>[ \t]*\n(?:[ \t]*\n)*)?(```+[a-z]*)[ \t]*\n[ \t]*\\{\\{#include +([^}\\s]+) *\\}\\}[ \t]*\n```+[ \t]*$")

// A placement says where a listing sits in its source file: the file, the
// declarations it shows and the lines it covers, as the caption shows it.
type placement struct {
	File        string // slash-separated, relative to the repository root
	Names       []string
	Inside      bool // the listing is within Names[0], "in f", and shows no line of another
	First, Last int  // 1-based line numbers of the first and last line shown
}

// String is the caption's text: file · names · lines.
func (pl placement) String() string {
	parts := []string{pl.File}
	if n := pl.names(); n != "" {
		parts = append(parts, n)
	}
	return strings.Join(append(parts, pl.lines()), " · ")
}

func (pl placement) names() string {
	switch n := len(pl.Names); {
	case n == 0:
		return ""
	case n <= 3:
		return strings.Join(pl.Names, ", ")
	default:
		return fmt.Sprintf("%s and %d more", strings.Join(pl.Names[:2], ", "), n-2)
	}
}

func (pl placement) lines() string {
	if pl.First == pl.Last {
		return fmt.Sprintf("line %d", pl.First)
	}
	return fmt.Sprintf("lines %d-%d", pl.First, pl.Last)
}

// sourcePage is the path, in the built book, of the page that shows a
// source file whole: source/FILE.html.
func sourcePage(file string) string { return "source/" + file + ".html" }

// captionHTML is the caption line of a listing, linked to the listing's
// first line in the source page.
func (pl placement) captionHTML(root string) string {
	var b strings.Builder
	href := root + sourcePage(pl.File) + "#L" + strconv.Itoa(pl.First)
	fmt.Fprintf(&b, `<p class="caption"><a href="%s">%s</a>`, template.HTMLEscapeString(href), template.HTMLEscapeString(pl.File))
	if n := pl.names(); n != "" {
		fmt.Fprintf(&b, ` · <span class="caption-decl">%s</span>`, template.HTMLEscapeString(n))
	}
	fmt.Fprintf(&b, ` · <span class="caption-lines">%s</span></p>`, pl.lines())
	return b.String()
}

// place works out where the include of target (PATH or PATH:SPEC, PATH
// relative to page) sits in its file. It returns false if the include
// does not resolve; the include itself reports why.
func place(res *mdbook.Resolver, page, target string) (placement, bool) {
	abs, lines, first, last, ok := res.Span(page, target)
	if !ok {
		return placement{}, false
	}
	// The listing drops blank lines and marker lines at either end.
	shown := func(i int) bool {
		l := lines[i-1]
		return strings.TrimSpace(l) != "" && !mdbook.IsMarker(l)
	}
	for first <= last && !shown(first) {
		first++
	}
	for last >= first && !shown(last) {
		last--
	}
	if first > last {
		return placement{}, false
	}
	pl := placement{File: res.Rel(abs), First: first, Last: last}
	if strings.HasSuffix(abs, ".go") {
		pl.Names, pl.Inside = goDecls(abs, []byte(strings.Join(lines, "\n")), first, last)
	}
	return pl, true
}

// goDecls names the top-level declarations of a Go file that the lines
// first to last overlap: functions as f, methods as (*T).m, types, vars
// and consts by their names; a function or type whose first line is not
// shown as "in f". If the lines lie within one function or type, whose
// first line they do not show, inside is true.
func goDecls(file string, src []byte, first, last int) (names []string, inside bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, false
	}
	line := func(p token.Pos) int { return fset.Position(p).Line }
	overlaps := func(from, to token.Pos) bool { return line(from) <= last && line(to) >= first }
	// shown: the listing shows part of the declaration or of its doc
	// comment.
	shown := func(doc *ast.CommentGroup, d ast.Decl) bool {
		from := d.Pos()
		if doc != nil {
			from = doc.Pos()
		}
		return overlaps(from, d.End())
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !shown(d.Doc, d) {
				continue
			}
			name := funcName(d)
			if line(d.Pos()) < first {
				// The listing starts within the function.
				name = "in " + name
			}
			names = append(names, name)
		case *ast.GenDecl:
			if !shown(d.Doc, d) {
				continue
			}
			for _, s := range d.Specs {
				if d.Lparen.IsValid() && !overlaps(s.Pos(), s.End()) {
					continue
				}
				switch s := s.(type) {
				case *ast.TypeSpec:
					if line(s.Pos()) < first {
						names = append(names, "in "+s.Name.Name)
					} else {
						names = append(names, s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							names = append(names, n.Name)
						}
					}
				}
			}
		}
	}
	return names, len(names) == 1 && strings.HasPrefix(names[0], "in ")
}

// funcName is a function's name as a caption shows it: f, or (*T).m for
// a method (type parameters dropped).
func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	recv := "?"
	if id, ok := t.(*ast.Ident); ok {
		recv = id.Name
	}
	return "(" + star + recv + ")." + d.Name.Name
}

// captionListings gives every listing of a page's Markdown (a fenced
// block holding one include) a caption placing it in its source file,
// replacing the caption written above it, if any. It records each source
// file a caption links to in sources.
func (b *builder) captionListings(p *page, text string) string {
	root := strings.Repeat("../", strings.Count(p.entry.Path, "/"))
	return listingBlock.ReplaceAllStringFunc(text, func(block string) string {
		m := listingBlock.FindStringSubmatchIndex(block)
		target := block[m[6]:m[7]]
		pl, ok := place(b.res, p.src, target)
		if !ok {
			return block
		}
		b.sources[pl.File] = true
		p.placements = append(p.placements, pl)
		return pl.captionHTML(root) + "\n\n" + block[m[4]:]
	})
}

// sourceHTML renders a source file whole, highlighted, each line with an
// id (L12) that a caption links to.
func sourceHTML(name string, data []byte) (template.HTML, error) {
	lexer := lexers.Match(path.Base(name))
	if lexer == nil {
		lexer = lexers.Fallback
	}
	it, err := chroma.Coalesce(lexer).Tokenise(nil, string(data))
	if err != nil {
		return "", err
	}
	f := chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithLineNumbers(true), chromahtml.WithLinkableLineNumbers(true, "L"))
	var out bytes.Buffer
	fmt.Fprintf(&out, "<h1 class=\"source-title\">%s</h1>\n", template.HTMLEscapeString(name))
	if err := f.Format(&out, styles.Get("github"), it); err != nil {
		return "", err
	}
	return template.HTML(out.String()), nil
}
