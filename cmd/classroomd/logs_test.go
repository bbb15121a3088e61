package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A JSON log line carries a logged name's text direction override, zero
// width characters and invalid bytes as visible escapes (#16 case 5): JSON
// escapes control characters by itself, and left these as they are, so an
// override in a file name reordered the line in the operator's terminal.
func TestJSONLogsEscapeHostileText(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf).Info("upload", "path", "gnp.\u202ecod.py", "user", "plain", "err", errors.New("bad\xff \u2066x"))
	line := buf.String()
	for _, raw := range []string{"\u202e", "\u2066", "\xff"} {
		if strings.Contains(line, raw) {
			t.Errorf("the log line holds %q as it is: %s", raw, line)
		}
	}
	var rec map[string]string
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["path"] != `gnp.\u202ecod.py` || rec["err"] != `bad\xff \u2066x` || rec["user"] != "plain" {
		t.Errorf("logged %+v", rec)
	}
}
