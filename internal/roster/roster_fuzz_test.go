package roster

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary files to the roster reader, as a professor's
// spreadsheet export (or a hostile one) could be: no panic; an error or rows
// whose line numbers grow, whose trimmed fields have no space at either end
// and whose role is lower case; and no more than MaxRows (#16 case 6).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"username,full_name,email\nalice,Alice Liddell,alice@example.edu\n",
		"\xef\xbb\xbfusername;role\r\nbob;Student\r\n",
		"username,password\n\"carol\",\"pa,ss\"\"word\"\n",
		"username,full_name\n\x1b]0;pwned\x07,\u202eevil\n",
		"full_name\nno username column\n",
		"username,username\nx,y\n",
		"username\n\"unterminated\n",
		"",
		"username,role,password_hash\ndave, PROFESSOR ,$2y$10$abcdefghijklmnopqrstuu\n",
		"username,full_name\nerin\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := Parse(bytes.NewReader(data))
		if err != nil {
			if rows != nil {
				t.Fatalf("Parse returned rows with an error: %v", err)
			}
			var le LineError
			if errors.As(err, &le) && le.Line < 1 {
				t.Fatalf("an error on line %d: %v", le.Line, err)
			}
			return
		}
		if len(rows) > MaxRows {
			t.Fatalf("%d rows, more than MaxRows", len(rows))
		}
		last := 1
		for _, r := range rows {
			if r.Line <= last {
				t.Fatalf("row on line %d after line %d", r.Line, last)
			}
			last = r.Line
			for _, v := range []string{r.Username, r.FullName, r.Email, r.Role, r.PasswordHash} {
				if strings.TrimSpace(v) != v {
					t.Fatalf("field %q was not trimmed", v)
				}
			}
			if strings.ToLower(r.Role) != r.Role {
				t.Fatalf("role %q not lower case", r.Role)
			}
		}
	})
}
