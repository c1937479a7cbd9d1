package main

import (
	goversion "go/version"
	"os"
	"regexp"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, its continuation
// lines joined.
type dockerInstruction struct {
	cmd  string // FROM, RUN, USER, …
	args string
}

// readDockerfile splits a Dockerfile into its instructions.
func readDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// goModVersion is go.mod's go line: the least toolchain that builds the module.
func goModVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	return "go" + string(m[1])
}

// TestDockerfile checks, without a Docker daemon, what would break the
// image's build or its run: the build image's Go must satisfy go.mod (a
// floating or older tag makes the build fetch a toolchain, or fail where it
// cannot), go-sqlite3 needs cgo and a C compiler (Debian golang images have
// gcc; alpine ones do not), the binary links the build image's glibc so the
// runtime image must be the same Debian release, and the bot runs as a user
// other than root with its database in the volume.
func TestDockerfile(t *testing.T) {
	t.Parallel()
	ins := readDockerfile(t, "Dockerfile")
	var froms []string
	var runs, users, envs, volumes []string
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			froms = append(froms, in.args)
		case "RUN":
			runs = append(runs, in.args)
		case "USER":
			users = append(users, in.args)
		case "ENV":
			envs = append(envs, in.args)
		case "VOLUME":
			volumes = append(volumes, in.args)
		}
	}
	if len(froms) != 2 {
		t.Fatalf("%d FROM lines, want 2 (a build stage and a runtime stage): %q", len(froms), froms)
	}

	build := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-([a-z]+) AS build$`).FindStringSubmatch(froms[0])
	if build == nil {
		t.Fatalf("build stage %q, want golang:<go.mod's version, patch included>-<debian release> AS build", froms[0])
	}
	goVersion, release := "go"+build[1], build[2]
	if want := goModVersion(t); goversion.Compare(goVersion, want) < 0 {
		t.Errorf("the build image has %s; go.mod needs %s", goVersion, want)
	}
	if release == "alpine" {
		t.Errorf("build image %q: alpine has no gcc for cgo and links musl", froms[0])
	}
	if want := "debian:" + release + "-slim"; froms[1] != want {
		t.Errorf("runtime stage %q, want %q: the binary links the build image's glibc", froms[1], want)
	}

	built := false
	for _, r := range runs {
		if strings.Contains(r, "go build") {
			built = true
			if !strings.Contains(r, "CGO_ENABLED=1") {
				t.Errorf("go build without CGO_ENABLED=1: go-sqlite3 needs cgo: %q", r)
			}
		}
	}
	if !built {
		t.Error("no RUN go build")
	}
	if len(users) == 0 || users[len(users)-1] == "root" || users[len(users)-1] == "0" {
		t.Errorf("USER %q: the bot must not run as root", users)
	}
	if len(volumes) != 1 || volumes[0] != `["/data"]` {
		t.Errorf("VOLUME %q, want [\"/data\"]", volumes)
	}
	found := false
	for _, e := range envs {
		if e == "DATABASE_PATH=/data/rallybot.db" {
			found = true
		}
	}
	if !found {
		t.Errorf("ENV %q: DATABASE_PATH must be in the /data volume", envs)
	}
}
