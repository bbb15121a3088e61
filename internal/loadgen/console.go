package loadgen

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The professor's console (issue #7): a professor logs in while the
// students work and switches between the Students and Live pages at a human
// pace; each switch is timed from the key to the page's status line, which
// the console writes once the page's data is there.

const (
	MeasureConsoleLogin = "console login" // TCP connect → the console's first frame
	MeasureConsolePage  = "console page"  // 1 or 2 → the Students or Live page with its data
)

// ConsoleShown is the console's first frame: its page tabs and help bar.
func ConsoleShown(s *Screen) bool {
	top := s.Row(0)
	return strings.Contains(top, "1 Students") && strings.Contains(top, "2 Live") && strings.Contains(s.Row(s.Rows()-1), "F1 help")
}

// ConsoleLive is the Live page with its data ("200 students connected; ...").
func ConsoleLive(s *Screen) bool {
	return strings.Contains(s.Row(s.Rows()-2), " connected; refreshed every second.")
}

// ConsoleStudents is the Students page with the roster ("501 users, 201 online.").
func ConsoleStudents(s *Screen) bool {
	r := s.Row(s.Rows() - 2)
	return (strings.Contains(r, " users, ") || strings.Contains(r, " user, ")) && strings.Contains(r, " online.")
}

var liveCount = regexp.MustCompile(`(\d+) students? connected`)

// professor runs the console until ctx ends. It returns how many students
// the Live page said were connected the last time it showed.
func (s *student) professor(ctx context.Context, user string) int {
	sess, took, err := s.target.Opener.Open(ctx, user, ConsoleShown)
	if err != nil {
		s.failAs(ctx, "console: ", err)
		return 0
	}
	defer sess.Close()
	s.rec.Add(MeasureConsoleLogin, time.Now(), took)
	a := &actor{term: sess.Term, rec: s.rec, pace: s.pace, rng: s.rng}
	seen := 0
	for ctx.Err() == nil {
		if err := a.pause(ctx, a.pace.Think); err != nil {
			break
		}
		var count string
		err := a.step(ctx, "console: live page", MeasureConsolePage, "2", func(sc *Screen) bool {
			if !ConsoleLive(sc) {
				return false
			}
			if m := liveCount.FindStringSubmatch(sc.Row(sc.Rows() - 2)); m != nil {
				count = m[1]
			}
			return true
		})
		if err == nil {
			seen, _ = strconv.Atoi(count)
			if err = a.pause(ctx, a.pace.Think); err == nil {
				err = a.step(ctx, "console: students page", MeasureConsolePage, "1", ConsoleStudents)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.failAs(ctx, "", err)
			if errors.Is(err, ErrClosed) {
				break
			}
			// Back to the Students page, whatever showed.
			_, _ = a.term.Type("1")
			_ = a.await(ctx, "console: resync", ConsoleStudents)
		}
	}
	return seen
}
