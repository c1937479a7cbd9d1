package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestNoTestCodeInTheBinary keeps what only tests need out of rallybot:
// the testing package, httptest and the OpenAPI validator come in only
// through discordtest, which the product (the sandbox included) must not
// import; the sandbox's Discord is fakediscord.
func TestNoTestCodeInTheBinary(t *testing.T) {
	t.Parallel()
	for _, d := range binaryDeps(t) {
		switch {
		case d == "testing", strings.HasPrefix(d, "testing/"), d == "net/http/httptest",
			strings.Contains(d, "santhosh-tekuri/jsonschema"), d == "rallybot/discordtest":
			t.Errorf("the rallybot binary depends on %s, which is for tests", d)
		}
	}
}

// TestChartsWithoutPlotFonts keeps the chart code on gonum's drawing layer
// only. The whole executable is resident once the bot runs (see
// BENCHMARKS.md, "Charts without plot's fonts"), and the plot package's
// init links twelve Liberation fonts (about 5 MB) and, with plotter, the
// PDF, SVG, EPS and TeX back ends; the charts draw with Liberation Sans
// alone.
func TestChartsWithoutPlotFonts(t *testing.T) {
	t.Parallel()
	deps := binaryDeps(t)
	if !slices.Contains(deps, "gonum.org/v1/plot/vg/vgimg") {
		t.Fatalf("go list -deps . has no gonum.org/v1/plot/vg/vgimg: the charts draw without it?")
	}
	for _, d := range deps {
		switch {
		case d == "gonum.org/v1/plot", d == "gonum.org/v1/plot/plotter", d == "gonum.org/v1/plot/font/liberation",
			strings.HasPrefix(d, "gonum.org/v1/plot/vg/vgpdf"), strings.HasPrefix(d, "gonum.org/v1/plot/vg/vgsvg"),
			strings.HasPrefix(d, "gonum.org/v1/plot/vg/vgeps"), strings.HasPrefix(d, "gonum.org/v1/plot/vg/vgtex"),
			strings.HasPrefix(d, "codeberg.org/go-pdf/fpdf"),
			strings.HasPrefix(d, "codeberg.org/go-fonts/liberation/liberationserif"),
			strings.HasPrefix(d, "codeberg.org/go-fonts/liberation/liberationmono"):
			t.Errorf("the rallybot binary depends on %s, which links fonts or back ends the charts do not draw with", d)
		}
	}
}

// binaryDeps lists the packages the rallybot binary is built from.
func binaryDeps(t *testing.T) []string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	out, err := exec.Command(goBin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps .: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !slices.Contains(deps, "rallybot/fakediscord") {
		t.Fatalf("go list -deps . listed %d packages without rallybot/fakediscord: %s", len(deps), out)
	}
	return deps
}
