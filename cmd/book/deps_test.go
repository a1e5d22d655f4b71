package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRendererHasNoPlotting checks that serve and build do not compile the
// plotting library, which takes longer to compile than the rest of the
// renderer: only cmd/book/charts may import it.
func TestRendererHasNoPlotting(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("skipping: no go command to list the dependencies")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, banned := range []string{"gonum.org/", "codeberg.org/go-latex/", "codeberg.org/go-pdf/", "golang.org/x/image/", "github.com/golang/freetype"} {
			if strings.HasPrefix(p, banned) {
				t.Errorf("cmd/book depends on %s; the drawing belongs in cmd/book/charts", p)
			}
		}
	}
}
