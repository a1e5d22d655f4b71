package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the viewport width, in CSS pixels, of the phone check.
const phoneWidth = 375

// findChromium returns the Chromium (or Chrome) to drive: $CHROMIUM, or
// the first of the usual names on PATH.
func findChromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// pageFacts is what the browser reports about one loaded page.
type pageFacts struct {
	URL         string   `json:"url"`
	IDs         []string `json:"ids"`
	Links       []string `json:"links"`
	BadImages   []string `json:"badImages"`
	Images      int      `json:"images"`
	GoBlocks    int      `json:"goBlocks"`
	Highlighted int      `json:"highlighted"`
	Sidebar     []string `json:"sidebar"`
	Prev        string   `json:"prev"`
	Next        string   `json:"next"`
}

const factsJS = `(() => {
	const hrefs = sel => Array.from(document.querySelectorAll(sel), a => a.href);
	const imgs = Array.from(document.images);
	const next = document.querySelector("a[rel=next]"), prev = document.querySelector("a[rel=prev]");
	return {
		url: location.href.split("#")[0],
		ids: Array.from(document.querySelectorAll("[id]"), e => e.id),
		links: hrefs("a[href]"),
		images: imgs.length,
		badImages: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
		goBlocks: document.querySelectorAll("code.language-go").length,
		highlighted: document.querySelectorAll("code.language-go span[class]").length,
		sidebar: hrefs("#sidebar a"),
		prev: prev ? prev.href : "",
		next: next ? next.href : "",
	};
})()`

// overflowJS lists the elements of the page that stick out past the right
// edge of the viewport, except inside code blocks and tables, which
// scroll on their own.
const overflowJS = `(() => {
	const w = document.documentElement.clientWidth, bad = [];
	for (const el of document.querySelectorAll("#page-wrapper *")) {
		if (el.closest("pre, table")) continue;
		const r = el.getBoundingClientRect();
		if (r.width > 0 && r.right > w + 1) bad.push(el.tagName.toLowerCase() + " ends at " + Math.round(r.right) + "px: " + (el.textContent || "").trim().slice(0, 50));
	}
	return bad.slice(0, 5);
})()`

// TestBrowser drives headless Chromium over the built book: every page
// loads with no console error; every internal link, anchor and image
// resolves; the sidebar and previous/next lead through the pages in
// SUMMARY order; Go listings are highlighted; and at a phone's width
// nothing but code blocks and tables overflows. With CI set it fails if
// it cannot run; elsewhere, without Chromium, it skips and says why. Set
// BOOK_SCREENSHOTS to a directory to keep its phone-width screenshots.
func TestBrowser(t *testing.T) {
	exe := findChromium()
	if exe == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set and no chromium is on PATH (set CHROMIUM, or let .ci/run install Debian's chromium)")
		}
		t.Skip("skipping the browser test: no chromium on PATH (install chromium, or set CHROMIUM)")
	}
	s, err := build(repoRoot)
	if err != nil {
		t.Fatalf("the book does not build:\n%v", err)
	}
	out := t.TempDir()
	if err := s.write(out); err != nil {
		t.Fatal(err)
	}
	pageURL := func(name string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(out, filepath.FromSlash(name)))}).String()
	}

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	// The watchdog: every browser action below ends with this context, so
	// a hang fails the test instead of holding it.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	// Console errors and uncaught exceptions, from a goroutine that reads
	// them while the test drives the pages; they are reported against the
	// page loaded last.
	var mu sync.Mutex
	var consoleErrors []string
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		if os.Getenv("CI") == "" && ctx.Err() == nil {
			t.Skipf("skipping the browser test: %s does not start: %v", exe, err)
		}
		t.Fatalf("starting %s: %v", exe, err)
	}
	messages := chromedp.Console(ctx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				consoleErrors = append(consoleErrors, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	defer func() {
		cancelBrowser()
		<-readerDone
	}()
	takeErrors := func() []string {
		mu.Lock()
		defer mu.Unlock()
		e := consoleErrors
		consoleErrors = nil
		return e
	}

	// Every page, at a desktop width.
	facts := make(map[string]*pageFacts) // by URL without fragment
	var order []string
	for _, name := range append(slices.Clone(s.pages), "index.html") {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pageURL(name))); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[*pageFacts](factsJS))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range takeErrors() {
			t.Errorf("%s: console error: %s", name, e)
		}
		facts[f.URL] = f
		if name != "index.html" {
			order = append(order, f.URL)
		}
		for _, img := range f.BadImages {
			t.Errorf("%s: image %s does not load", name, img)
		}
		if f.GoBlocks > 0 && f.Highlighted == 0 {
			t.Errorf("%s: %d Go listings and not one highlighted token", name, f.GoBlocks)
		}
	}

	// Links, anchors, the sidebar, previous and next.
	highlighted := 0
	for i, u := range order {
		f := facts[u]
		highlighted += f.Highlighted
		for _, link := range f.Links {
			if !strings.HasPrefix(link, "file:") {
				continue
			}
			target, frag, _ := strings.Cut(link, "#")
			to := facts[target]
			if to == nil {
				p, err := url.Parse(target)
				if err != nil || !fileExists(filepath.FromSlash(p.Path)) {
					t.Errorf("%s: link %s leads nowhere", rel(out, u), rel(out, link))
				}
				continue
			}
			if frag != "" && !slices.Contains(to.IDs, frag) {
				t.Errorf("%s: link %s: no element #%s there", rel(out, u), rel(out, link), frag)
			}
		}
		if !slices.Equal(f.Sidebar, order) {
			t.Errorf("%s: the sidebar links %q, want the pages in SUMMARY order %q", rel(out, u), f.Sidebar, order)
		}
		wantPrev, wantNext := "", ""
		if i > 0 {
			wantPrev = order[i-1]
		}
		if i+1 < len(order) {
			wantNext = order[i+1]
		}
		if f.Prev != wantPrev || f.Next != wantNext {
			t.Errorf("%s: prev %q next %q, want %q and %q", rel(out, u), f.Prev, f.Next, wantPrev, wantNext)
		}
	}
	if highlighted == 0 {
		t.Errorf("no Go listing in the book is highlighted")
	}

	// Click through: next from the first page to the last, then a sidebar
	// entry back to the second page.
	if err := chromedp.Do(ctx, chromedp.Navigate(order[0])); err != nil {
		t.Fatal(err)
	}
	for _, want := range order[1:] {
		err := chromedp.Do(ctx,
			chromedp.Click("a[rel=next]", chromedp.NodeVisible),
			pollTrue(fmt.Sprintf("location.href.split('#')[0] === %q && document.readyState === 'complete'", want)),
		)
		if err != nil {
			t.Fatalf("clicking next towards %s: %v", rel(out, want), err)
		}
	}
	if len(order) > 1 {
		err := chromedp.Do(ctx,
			chromedp.Click(fmt.Sprintf("#sidebar a[href$=%q]", filepath.Base(order[1])), chromedp.NodeVisible),
			pollTrue(fmt.Sprintf("location.href === %q && document.readyState === 'complete'", order[1])),
		)
		if err != nil {
			t.Fatalf("clicking the sidebar entry of %s: %v", rel(out, order[1]), err)
		}
	}

	// The search box, the theme switch and, at a phone's width, the
	// sidebar toggle.
	type widgets struct {
		Hits         int    `json:"hits"`
		ThemeBefore  string `json:"themeBefore"`
		ThemeAfter   string `json:"themeAfter"`
		SidebarShut  bool   `json:"sidebarShut"`
		SidebarShown bool   `json:"sidebarShown"`
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, 800, chromedp.EmulateMobile), chromedp.Navigate(order[0])); err != nil {
		t.Fatal(err)
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[widgets](`(() => {
		const bar = document.getElementById("searchbar");
		bar.value = "reactor";
		bar.dispatchEvent(new Event("input"));
		const results = document.getElementById("search-results");
		const hits = results.hidden ? 0 : results.querySelectorAll("a").length;
		const html = document.documentElement, before = html.className;
		document.getElementById("theme-toggle").click();
		const after = html.className;
		document.getElementById("theme-toggle").click();
		const side = document.getElementById("sidebar");
		const shut = side.getBoundingClientRect().right <= 0;
		side.style.transition = "none";
		document.getElementById("sidebar-toggle").click();
		const shown = side.getBoundingClientRect().left >= 0;
		document.getElementById("sidebar-toggle").click();
		return {hits, themeBefore: before, themeAfter: after, sidebarShut: shut, sidebarShown: shown};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Hits == 0 {
		t.Errorf("searching for \"reactor\" finds no page")
	}
	if w.ThemeBefore == w.ThemeAfter || !slices.Contains([]string{"light", "dark"}, w.ThemeAfter) {
		t.Errorf("the theme switch turned %q into %q", w.ThemeBefore, w.ThemeAfter)
	}
	if !w.SidebarShut || !w.SidebarShown {
		t.Errorf("at %dpx the sidebar starts hidden: %v; the toggle shows it: %v", phoneWidth, w.SidebarShut, w.SidebarShown)
	}

	// At a phone's width.
	shots := os.Getenv("BOOK_SCREENSHOTS")
	for _, u := range order {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, 800, chromedp.EmulateMobile), chromedp.Navigate(u)); err != nil {
			t.Fatalf("%s at %dpx: %v", rel(out, u), phoneWidth, err)
		}
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](overflowJS))
		if err != nil {
			t.Fatalf("%s at %dpx: %v", rel(out, u), phoneWidth, err)
		}
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("%s at %dpx: screenshot: %v", rel(out, u), phoneWidth, err)
		}
		for _, b := range bad {
			t.Errorf("%s at %dpx: overflows sideways: %s", rel(out, u), phoneWidth, b)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", rel(out, u), err)
		}
		if w := img.Bounds().Dx(); w%phoneWidth != 0 {
			t.Errorf("%s: the screenshot is %dpx wide, not a multiple of the %dpx viewport", rel(out, u), w, phoneWidth)
		}
		if shots != "" {
			name := strings.TrimSuffix(filepath.Base(u), ".html") + "-phone.png"
			if err := os.WriteFile(filepath.Join(shots, name), shot, 0o666); err != nil {
				t.Error(err)
			}
		}
		for _, e := range takeErrors() {
			t.Errorf("%s at %dpx: console error: %s", rel(out, u), phoneWidth, e)
		}
	}
}

// pollTrue waits until the expression is true in the page, for at most 30
// seconds. A navigation destroys the page the poll runs in; then it polls
// again in the new page.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		for {
			_, err := chromedp.Poll[bool](expr)(ctx, t)
			if err == nil || ctx.Err() != nil {
				return chromedp.Void{}, err
			}
		}
	}
}

// rel shortens a file: URL under dir for a message.
func rel(dir, u string) string {
	return strings.TrimPrefix(u, (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/"}).String())
}
