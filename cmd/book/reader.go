package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"path"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// readerRenderer renders what the reader sees beyond plain Markdown:
// headings with a self-link that shows on hover, and asides (a blockquote
// whose first paragraph opens with a bold lead-in) as <aside>, which the
// style sheet sets in the margin on a wide screen.
type readerRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (readerRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, renderHeading)
	reg.Register(ast.KindBlockquote, renderBlockquote)
}

func renderHeading(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	id, hasID := n.AttributeString("id")
	if entering {
		fmt.Fprintf(w, "<h%d", n.Level)
		if hasID {
			fmt.Fprintf(w, ` id="%s"`, template.HTMLEscapeString(string(id.([]byte))))
		}
		w.WriteString(">")
		return ast.WalkContinue, nil
	}
	if hasID {
		fmt.Fprintf(w, `<a class="heading-link" href="#%s" aria-label="Link to this section">#</a>`, template.HTMLEscapeString(string(id.([]byte))))
	}
	fmt.Fprintf(w, "</h%d>\n", n.Level)
	return ast.WalkContinue, nil
}

// isAside reports whether a blockquote is an aside: its first paragraph
// starts with bold text, as in > **Aside: io_uring.** ...
func isAside(n ast.Node) bool {
	p, ok := n.FirstChild().(*ast.Paragraph)
	if !ok {
		return false
	}
	e, ok := p.FirstChild().(*ast.Emphasis)
	return ok && e.Level == 2
}

func renderBlockquote(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	tag, class := "blockquote", ""
	if isAside(n) {
		tag, class = "aside", ` class="aside"`
	}
	if entering {
		fmt.Fprintf(w, "<%s%s>\n", tag, class)
	} else {
		fmt.Fprintf(w, "</%s>\n", tag)
	}
	return ast.WalkContinue, nil
}

// A section is the part of a page from one heading to the next, the unit
// that search finds.
type section struct {
	ID      string // the heading's id; "" for text before the first heading
	Heading string
	Text    string // prose and code, words separated by single spaces
}

// sections splits a page at its headings and collects the text of each
// part, code listings included.
func sections(doc ast.Node, src []byte) []section {
	var out []section
	cur := section{}
	var text strings.Builder
	flush := func() {
		cur.Text = strings.Join(strings.Fields(text.String()), " ")
		if cur.ID != "" || cur.Text != "" {
			out = append(out, cur)
		}
		text.Reset()
	}
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if h, ok := c.(*ast.Heading); ok {
			flush()
			cur = section{Heading: plainText(h, src)}
			if id, ok := h.AttributeString("id"); ok {
				cur.ID = string(id.([]byte))
			}
			continue
		}
		ast.Walk(c, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *ast.Text:
				text.Write(n.Segment.Value(src))
				if n.SoftLineBreak() || n.HardLineBreak() {
					text.WriteByte(' ')
				}
			case *ast.String:
				text.Write(n.Value)
			case *ast.FencedCodeBlock, *ast.CodeBlock:
				for i := 0; i < n.Lines().Len(); i++ {
					seg := n.Lines().At(i)
					text.Write(seg.Value(src))
				}
				text.WriteByte(' ')
				return ast.WalkSkipChildren, nil
			case *ast.RawHTML, *ast.HTMLBlock:
				return ast.WalkSkipChildren, nil
			case *ast.Paragraph, *ast.ListItem:
				text.WriteByte(' ')
			}
			return ast.WalkContinue, nil
		})
		text.WriteByte(' ')
	}
	flush()
	return out
}

// A searchDoc is one section in the search index. The short keys keep
// the index small.
type searchDoc struct {
	Page    string `json:"u"` // the page's path in the book
	Anchor  string `json:"a"` // the section's heading id, or ""
	Title   string `json:"t"` // the page's title
	Heading string `json:"h"` // the section's heading
	Text    string `json:"b"`
}

// searchIndex is the index of every section of every page, as JSON.
func (b *builder) searchIndex() ([]byte, error) {
	var docs []searchDoc
	for _, p := range b.pages {
		for _, s := range p.sections {
			docs = append(docs, searchDoc{Page: p.out, Anchor: s.ID, Title: p.title, Heading: s.Heading, Text: s.Text})
		}
	}
	return json.Marshal(docs)
}

// attrRef matches the attributes of rendered HTML that name an element or
// a place: id, href and src.
var attrRef = regexp.MustCompile(`(\s(?:id|href|src)=")([^"]*)(")`)

// pageAnchor is the id that print.html gives the start of a page: its
// path without .html, with / as -.
func pageAnchor(out string) string {
	return strings.ReplaceAll(strings.TrimSuffix(out, ".html"), "/", "-")
}

// printContent is the whole book on one page, in SUMMARY order. Each
// page's ids get the page's anchor as a prefix, so they stay unique; a
// link between pages becomes a link within print.html; any other
// relative link is made relative to the book's root.
func (b *builder) printContent() template.HTML {
	pageOf := make(map[string]bool)
	for _, p := range b.pages {
		pageOf[p.out] = true
	}
	var out strings.Builder
	for _, p := range b.pages {
		prefix := pageAnchor(p.out)
		dir := path.Dir(p.out)
		html := attrRef.ReplaceAllStringFunc(string(p.html), func(m string) string {
			sm := attrRef.FindStringSubmatch(m)
			attr, val := sm[1], sm[2]
			switch {
			case strings.HasPrefix(attr, " id"):
				return attr + prefix + "-" + val + sm[3]
			case val == "" || hasScheme.MatchString(val) || strings.HasPrefix(val, "/"):
				return m
			case strings.HasPrefix(val, "#"):
				return attr + "#" + prefix + "-" + val[1:] + sm[3]
			}
			target, frag, hasFrag := strings.Cut(val, "#")
			target = path.Join(dir, target)
			if pageOf[target] {
				if hasFrag {
					return attr + "#" + pageAnchor(target) + "-" + frag + sm[3]
				}
				return attr + "#" + pageAnchor(target) + sm[3]
			}
			if hasFrag {
				target += "#" + frag
			}
			return attr + target + sm[3]
		})
		fmt.Fprintf(&out, "<section class=\"print-page\" id=\"%s\">\n%s</section>\n", prefix, html)
	}
	return template.HTML(out.String())
}

// notFoundContent is the body of 404.html.
func notFoundContent(first string) template.HTML {
	var b bytes.Buffer
	b.WriteString("<h1 id=\"not-found\">Page not found</h1>\n")
	b.WriteString("<p>There is no page at this address in the book. It may have been renamed, or the link that led here has a typo.</p>\n")
	fmt.Fprintf(&b, "<p>Start again from <a href=\"/%s\">the first page</a>, pick a chapter in the table of contents, or search the book.</p>\n", template.HTMLEscapeString(first))
	return template.HTML(b.String())
}
