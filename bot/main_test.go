package bot_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets more end-to-end tests run at once than the machine has
// cores (go test's default -parallel): each bot spends its time waiting on
// the network and on discordgo's one-second sleep in Session.Close, not on
// a CPU. An explicit -parallel wins.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "16")
	}
	os.Exit(m.Run())
}
