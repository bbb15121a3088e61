package web

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/classroomd/classroomd/internal/wsproto"
)

// The page's table of message types is a copy in JavaScript: it must say
// what the server's does.
func TestPageSpeaksTheProtocol(t *testing.T) {
	js, err := os.ReadFile("static/term.js")
	if err != nil {
		t.Fatal(err)
	}
	table := regexp.MustCompile(`const MSG = \{([^}]*)\}`).FindSubmatch(js)
	if table == nil {
		t.Fatal("term.js has no `const MSG = { ... }` table")
	}
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`(\w+): (\d+)`).FindAllSubmatch(table[1], -1) {
		n, _ := strconv.Atoi(string(m[2]))
		got[string(m[1])] = n
	}
	want := map[string]int{"input": wsproto.Input, "output": wsproto.Output, "resize": wsproto.Resize, "ping": wsproto.Ping,
		"pong": wsproto.Pong, "pause": wsproto.Pause, "resume": wsproto.Resume, "close": wsproto.Close}
	if len(got) != len(want) {
		t.Errorf("term.js's MSG has %d types, wsproto %d: %v", len(got), len(want), got)
	}
	for name, n := range want {
		if v, ok := got[name]; !ok || v != n {
			t.Errorf("term.js's MSG.%s is %d (present: %v), wsproto's is %d", name, v, ok, n)
		}
	}
}
