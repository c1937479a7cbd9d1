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
	for _, d := range deps {
		switch {
		case d == "testing", strings.HasPrefix(d, "testing/"), d == "net/http/httptest",
			strings.Contains(d, "santhosh-tekuri/jsonschema"), d == "rallybot/discordtest":
			t.Errorf("the rallybot binary depends on %s, which is for tests", d)
		}
	}
}
