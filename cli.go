package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/joho/godotenv"

	"rallybot/store"
)

const usage = `Usage: rallybot [command] [arguments]

Commands:
  run [ENV_FILE]           run the bot (the default); settings from the
                           environment, then ENV_FILE (default .env)
  sandbox                  try the bot in a local page against an embedded
                           Discord, no Discord application needed (reads
                           the environment only, never an env file)
  backup PATH [ENV_FILE]   write a consistent copy of DATABASE_PATH to PATH,
                           safe while the bot runs
  version                  print the version and exit

Every setting is described in .env.example and README.md.
`

// commandLineError is a command line parseArgs cannot read: main answers it
// with the usage and exit status 2, as command-line tools do.
type commandLineError struct{ err error }

func (e *commandLineError) Error() string { return e.err.Error() }
func (e *commandLineError) Unwrap() error { return e.err }

// invocation is what the command line asked for.
type invocation struct {
	command  string // run, sandbox, backup, version, help
	envFile  string
	explicit bool   // envFile was named: it must exist
	path     string // backup's destination
}

// parseArgs reads the command line. A bare file name is `run FILE`, as before
// there were commands; anything else unknown is an error, never ignored.
func parseArgs(args []string) (invocation, error) {
	inv := invocation{command: "run", envFile: ".env"}
	if len(args) == 0 {
		return inv, nil
	}
	first, rest := args[0], args[1:]
	switch first {
	case "-h", "-help", "--help", "help":
		inv.command = "help"
		return inv, nil
	case "version", "-version", "--version":
		inv.command = "version"
		return inv, noMore(first, rest)
	case "sandbox":
		// The sandbox reads the environment only, never an env file, so a
		// real bot's settings and database are never touched by it.
		inv.command = first
		return inv, noMore(first, rest)
	case "run":
		inv.command = first
	case "backup":
		inv.command = first
		if len(rest) == 0 || rest[0] == "" {
			return inv, errors.New("backup: give the file to write, e.g. `rallybot backup /var/backups/rallybot/rallybot-$(date +%F).db`")
		}
		inv.path, rest = rest[0], rest[1:]
	default:
		if strings.HasPrefix(first, "-") {
			return inv, fmt.Errorf("unknown flag %q; see `rallybot -h`", first)
		}
		if _, err := os.Stat(first); err == nil {
			inv.envFile, inv.explicit = first, true
			return inv, noMore(first, rest)
		}
		return inv, fmt.Errorf("unknown command %q: use run, sandbox, backup or version (an env file must exist: `rallybot run FILE`); see `rallybot -h`", first)
	}
	if len(rest) > 0 {
		inv.envFile, inv.explicit = rest[0], true
		rest = rest[1:]
	}
	return inv, noMore(first, rest)
}

func noMore(cmd string, rest []string) error {
	if len(rest) > 0 {
		return fmt.Errorf("%s: unexpected argument %q; see `rallybot -h`", cmd, rest[0])
	}
	return nil
}

// environment reads the env file (the real environment wins, even where it
// sets a variable to empty). A missing default .env is fine; a missing file
// the command line named is a mistake worth stopping for.
func environment(inv invocation, lookupEnv func(string) (string, bool)) (func(string) string, error) {
	dotenv, err := godotenv.Read(inv.envFile)
	switch {
	case err != nil && inv.explicit && errors.Is(err, os.ErrNotExist):
		return nil, &commandLineError{fmt.Errorf("%s: %w", inv.envFile, err)}
	case err != nil && (inv.explicit || !errors.Is(err, os.ErrNotExist)):
		return nil, fmt.Errorf("%s: %w", inv.envFile, err)
	}
	return func(name string) string {
		if v, ok := lookupEnv(name); ok {
			return v
		}
		return dotenv[name]
	}, nil
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + modified
	}
	return v
}

// backup copies the configured database to path.
func backup(ctx context.Context, inv invocation, lookup func(string) string, stdout io.Writer) error {
	src := lookup("DATABASE_PATH")
	if src == "" {
		src = "rallybot.db"
	}
	if err := store.Backup(ctx, src, inv.path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("backup: DATABASE_PATH: %s does not exist: run the backup from the bot's working directory, or set DATABASE_PATH", src)
		}
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (mode 0600: it holds attendance data; keep it encrypted at rest)\n", src, inv.path)
	return nil
}
