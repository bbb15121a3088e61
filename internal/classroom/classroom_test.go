package classroom

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

// clock is a settable time for the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var (
	prof  = Actor{Username: "prof", Remote: "192.0.2.1:4000"}
	ta    = Actor{Username: "ta", Remote: "192.0.2.2:4000"}
	alice = Actor{Username: "alice", Remote: "192.0.2.10:5000"}
	bob   = Actor{Username: "bob", Remote: "192.0.2.11:5000"}
	dave  = Actor{Username: "dave", Remote: "192.0.2.12:5000"} // disabled
)

// newService returns a service on a fresh SQLite store with professors prof
// and ta, students alice, bob and carol, and the disabled student dave.
func newService(t testing.TB) (*Service, store.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "classroomd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]store.Role{"prof": store.RoleProfessor, "ta": store.RoleProfessor,
		"alice": store.RoleStudent, "bob": store.RoleStudent, "carol": store.RoleStudent, "dave": store.RoleStudent} {
		u := store.User{Username: name, Role: role, PasswordHash: "x", Disabled: name == "dave"}
		if err := st.CreateUser(t.Context(), &u); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	return New(Options{Store: st, Now: c.now}), st, c
}

// audits returns the audit entries of action, oldest first.
func audits(t *testing.T, st store.Store, action string) []store.AuditEntry {
	t.Helper()
	all, err := st.ListAudit(t.Context(), store.AuditFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range slices.Backward(all) {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func texts(list []store.Announcement) []string {
	out := []string{}
	for _, a := range list {
		out = append(out, a.Text)
	}
	return out
}

func mustCurrent(t *testing.T, s *Service, by Actor) []string {
	t.Helper()
	list, err := s.Current(t.Context(), by)
	if err != nil {
		t.Fatalf("Current(%s): %v", by.Username, err)
	}
	return texts(list)
}

// wantKind checks err's kind and that its text is a sentence naming mention.
func wantKind(t *testing.T, what string, err, kind error, mention string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: err = %v, want %v", what, err, kind)
		return
	}
	checkSentence(t, what, err)
	if !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: error %q does not mention %q", what, err, mention)
	}
}

func TestAnnouncements(t *testing.T) {
	s, st, clk := newService(t)
	ctx := t.Context()

	a1, err := s.Announce(ctx, prof, "  Lab ends at 12:00  ")
	if err != nil {
		t.Fatalf("Announce: %v", err)
	}
	if a1.Text != "Lab ends at 12:00" || a1.Author != "prof" || !a1.ExpiresAt.Equal(clk.now().Add(DefaultAnnouncementLifetime)) {
		t.Errorf("Announce = %+v, want the trimmed text by prof, ending after the default lifetime", a1)
	}
	clk.advance(time.Second)
	a2, err := s.Announce(ctx, ta, "Exercise 3 is optional")
	if err != nil {
		t.Fatalf("Announce(ta): %v", err)
	}
	for _, who := range []Actor{alice, bob, prof} {
		if got := mustCurrent(t, s, who); !slices.Equal(got, []string{a1.Text, a2.Text}) {
			t.Errorf("%s sees %q, want both, oldest first", who.Username, got)
		}
	}

	// alice's dismissal is hers alone; dismissing twice is fine.
	for range 2 {
		if err := s.Dismiss(ctx, alice, a1.ID); err != nil {
			t.Fatalf("Dismiss: %v", err)
		}
	}
	if got := mustCurrent(t, s, alice); !slices.Equal(got, []string{a2.Text}) {
		t.Errorf("alice sees %q after dismissing the first, want only the second", got)
	}
	if got := mustCurrent(t, s, bob); len(got) != 2 {
		t.Errorf("bob sees %q, want both: alice cannot dismiss for him", got)
	}
	wantKind(t, "Dismiss(missing)", s.Dismiss(ctx, alice, a2.ID+100), ErrNotFound, "no announcement")

	// Retracting ends it for everyone, once.
	if err := s.Retract(ctx, ta, a1.ID); err != nil {
		t.Fatalf("Retract: %v", err)
	}
	if err := s.Retract(ctx, prof, a1.ID); err != nil {
		t.Errorf("Retract of a retracted announcement = %v, want nil", err)
	}
	if got := mustCurrent(t, s, bob); !slices.Equal(got, []string{a2.Text}) {
		t.Errorf("bob sees %q after the retraction, want only the second", got)
	}
	wantKind(t, "Retract(missing)", s.Retract(ctx, prof, a2.ID+100), ErrNotFound, "no announcement")

	// Past its lifetime it is gone without anyone acting.
	clk.advance(DefaultAnnouncementLifetime)
	if got := mustCurrent(t, s, bob); len(got) != 0 {
		t.Errorf("bob sees %q after the lifetime, want nothing", got)
	}

	history, err := s.History(ctx, prof, 0)
	if err != nil || !slices.Equal(texts(history), []string{a2.Text, a1.Text}) {
		t.Fatalf("History = %q, %v; want both, newest first", texts(history), err)
	}
	if history[1].RetractedBy != "ta" {
		t.Errorf("History shows %+v, want it retracted by ta", history[1])
	}

	if got := audits(t, st, ActionAnnounce); len(got) != 2 || got[0].Actor != "prof" || got[0].Outcome != "ok" ||
		got[0].Remote != prof.Remote || !strings.Contains(got[0].Detail, "Lab ends") {
		t.Errorf("announce audit = %+v, want two ok entries, the first by prof from %s quoting the text", got, prof.Remote)
	}
	if got := audits(t, st, ActionRetract); len(got) != 1 || got[0].Actor != "ta" {
		t.Errorf("retract audit = %+v, want one entry by ta (the second retraction changed nothing)", got)
	}
}

func TestAnnounceRefusesCraftedText(t *testing.T) {
	s, st, _ := newService(t)
	ctx := t.Context()
	for _, text := range []string{"\x1b[2J\x1b[HYou have been logged out", "ok\u009b6n", "", strings.Repeat("x", 501), strings.Repeat("x", 5<<20)} {
		_, err := s.Announce(ctx, prof, text)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Announce(%.20q) = %v, want ErrInvalid", text, err)
			continue
		}
		checkSentence(t, "Announce", err)
	}
	if list, err := st.ListAnnouncements(ctx, 0); err != nil || len(list) != 0 {
		t.Errorf("stored announcements %+v, %v; want none", list, err)
	}
}

// Every professor action refuses a student, says so in a sentence, audits
// the refusal and changes nothing.
func TestStudentsCannotActAsProfessors(t *testing.T) {
	s, st, _ := newService(t)
	ctx := t.Context()
	a, err := s.Announce(ctx, prof, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestHelp(ctx, bob, "my loop"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestHelp(ctx, alice, "mine"); err != nil {
		t.Fatal(err)
	}
	q, err := s.Queue(ctx, prof)
	if err != nil || len(q) != 2 {
		t.Fatal(q, err)
	}
	bobs, alices := q[0].ID, q[1].ID

	for _, c := range []struct {
		action string
		do     func(by Actor) error
	}{
		{ActionAnnounce, func(by Actor) error { _, err := s.Announce(ctx, by, "Exam cancelled!"); return err }},
		{ActionRetract, func(by Actor) error { return s.Retract(ctx, by, a.ID) }},
		{ActionAnnounceHistory, func(by Actor) error { _, err := s.History(ctx, by, 10); return err }},
		{ActionHelpQueue, func(by Actor) error { _, err := s.Queue(ctx, by); return err }},
		{ActionHelpClaim, func(by Actor) error { _, err := s.Claim(ctx, by, bobs); return err }},
		{ActionHelpClaim, func(by Actor) error { _, err := s.Claim(ctx, by, alices); return err }}, // even her own
		{ActionHelpUnclaim, func(by Actor) error { return s.Unclaim(ctx, by, bobs) }},
		{ActionHelpResolve, func(by Actor) error { return s.Resolve(ctx, by, bobs) }},
		{ActionHelpResolve, func(by Actor) error { return s.Resolve(ctx, by, alices) }}, // a student cannot close her own either
	} {
		before := len(audits(t, st, c.action))
		err := c.do(alice)
		wantKind(t, "alice: "+c.action, err, ErrForbidden, "Only professors")
		got := audits(t, st, c.action)
		if len(got) != before+1 || got[len(got)-1].Outcome != "denied" || got[len(got)-1].Actor != "alice" || got[len(got)-1].Remote != alice.Remote {
			t.Errorf("%s by alice: audit %+v, want a new denied entry by alice", c.action, got)
		}
	}
	// Nothing changed.
	if list, _ := st.ListAnnouncements(ctx, 0); len(list) != 1 || !list[0].RetractedAt.IsZero() {
		t.Errorf("announcements = %+v, want the one, not retracted", list)
	}
	if q, err := s.Queue(ctx, prof); err != nil || len(q) != 2 || q[0].ClaimedBy != "" || q[1].ClaimedBy != "" {
		t.Errorf("queue = %+v, %v; want both requests open and unclaimed", q, err)
	}

	// Professors answer the queue; they do not join it.
	_, err = s.RequestHelp(ctx, prof, "")
	wantKind(t, "RequestHelp(prof)", err, ErrForbidden, "Only students")
}

// Unknown, disabled and forged accounts can do nothing, not even read.
func TestUnknownAndDisabledAccounts(t *testing.T) {
	s, st, _ := newService(t)
	ctx := t.Context()
	a, err := s.Announce(ctx, prof, "hello")
	if err != nil {
		t.Fatal(err)
	}
	forged := Actor{Username: "mallory\x1b[2J", Remote: "203.0.113.9:1\x1b]0;x\a"}
	for _, by := range []Actor{dave, forged, {Username: ""}} {
		checks := map[string]error{}
		_, checks["Current"] = s.Current(ctx, by)
		checks["Dismiss"] = s.Dismiss(ctx, by, a.ID)
		_, checks["RequestHelp"] = s.RequestHelp(ctx, by, "")
		checks["CancelHelp"] = s.CancelHelp(ctx, by)
		_, checks["Place"] = s.Place(ctx, by)
		_, checks["Announce"] = s.Announce(ctx, by, "x")
		for what, err := range checks {
			wantKind(t, fmt.Sprintf("%s(%q)", what, by.Username), err, ErrForbidden, "account")
		}
	}
	if got := mustCurrent(t, s, alice); len(got) != 1 {
		t.Errorf("alice sees %q, want the announcement (nobody else's dismissal counts)", got)
	}
	all, err := st.ListAudit(ctx, store.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, e := range all {
		if e.Outcome == "denied" {
			denied++
		}
		for _, field := range []string{e.Actor, e.Remote, e.Target, e.Detail} {
			if strings.ContainsAny(field, "\x1b\a") {
				t.Errorf("audit entry %+v carries a control character", e)
			}
		}
	}
	if denied != 3*6 {
		t.Errorf("%d denied audit entries, want %d", denied, 3*6)
	}
}

func TestHelpQueue(t *testing.T) {
	s, st, clk := newService(t)
	ctx := t.Context()

	if p, err := s.Place(ctx, alice); err != nil || p != 0 {
		t.Fatalf("Place before asking = %d, %v; want 0", p, err)
	}
	if p, err := s.RequestHelp(ctx, alice, "IndexError"); err != nil || p != 1 {
		t.Fatalf("RequestHelp(alice) = %d, %v; want 1", p, err)
	}
	clk.advance(time.Minute)
	if p, err := s.RequestHelp(ctx, bob, ""); err != nil || p != 2 {
		t.Fatalf("RequestHelp(bob) = %d, %v; want 2", p, err)
	}
	// A new question keeps the place; the same one again writes nothing.
	if p, err := s.RequestHelp(ctx, alice, "IndexError on line 3"); err != nil || p != 1 {
		t.Fatalf("RequestHelp(alice again) = %d, %v; want 1", p, err)
	}
	if p, err := s.RequestHelp(ctx, alice, "IndexError on line 3"); err != nil || p != 1 {
		t.Fatalf("RequestHelp(alice, same question) = %d, %v; want 1", p, err)
	}
	if got := audits(t, st, ActionHelpRequest); len(got) != 3 || got[0].Target != "alice" || !strings.Contains(got[2].Detail, "changed the question") {
		t.Errorf("help.request audit = %+v, want asked, asked, changed the question", got)
	}
	_, err := s.RequestHelp(ctx, bob, "\x1b[31mURGENT\x1b[0m")
	wantKind(t, "RequestHelp(escape)", err, ErrInvalid, "escape")

	clk.advance(time.Minute)
	q, err := s.Queue(ctx, ta)
	if err != nil || len(q) != 2 {
		t.Fatalf("Queue = %+v, %v", q, err)
	}
	if q[0].Student != "alice" || q[0].Question != "IndexError on line 3" || q[0].Place != 1 || q[0].Waiting != 2*time.Minute ||
		q[1].Student != "bob" || q[1].Place != 2 || q[1].Waiting != time.Minute {
		t.Errorf("Queue = %+v, want alice (2m, her new question) then bob (1m)", q)
	}
	st1, err := s.MyRequest(ctx, bob)
	if err != nil || st1.Place != 2 || st1.Waiting != time.Minute || st1.Request.ClaimedBy != "" {
		t.Errorf("MyRequest(bob) = %+v, %v; want place 2 after 1m, unclaimed", st1, err)
	}

	// One professor at a time.
	aliceID := q[0].ID
	if r, err := s.Claim(ctx, ta, aliceID); err != nil || r.ClaimedBy != "ta" {
		t.Fatalf("Claim(ta) = %+v, %v", r, err)
	}
	clk.advance(time.Second)
	if _, err := s.Claim(ctx, ta, aliceID); err != nil {
		t.Errorf("Claim(ta) again = %v, want nil", err)
	}
	_, err = s.Claim(ctx, prof, aliceID)
	wantKind(t, "Claim(prof) of ta's claim", err, ErrConflict, "claimed by ta")
	wantKind(t, "Unclaim(prof) of ta's claim", s.Unclaim(ctx, prof, aliceID), ErrConflict, "claimed by ta")
	if st, _ := s.MyRequest(ctx, alice); st.Request.ClaimedBy != "ta" {
		t.Errorf("alice's status = %+v, want claimed by ta (she sees who is coming)", st)
	}
	if err := s.Unclaim(ctx, ta, aliceID); err != nil {
		t.Fatalf("Unclaim(ta): %v", err)
	}
	if _, err := s.Claim(ctx, prof, aliceID); err != nil {
		t.Fatalf("Claim(prof) after the release: %v", err)
	}
	if got := audits(t, st, ActionHelpClaim); len(got) != 2 || got[0].Actor != "ta" || got[1].Actor != "prof" || got[1].Target != "alice" {
		t.Errorf("help.claim audit = %+v, want ta's then prof's (a repeated claim is not audited)", got)
	}

	// Any professor may resolve; the student leaves the queue.
	if err := s.Resolve(ctx, ta, aliceID); err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if got := audits(t, st, ActionHelpResolve); len(got) != 1 || got[0].Target != "alice" || !strings.Contains(got[0].Detail, "claimed by prof") {
		t.Errorf("help.resolve audit = %+v, want one about alice noting prof's claim", got)
	}
	if p, _ := s.Place(ctx, alice); p != 0 {
		t.Errorf("alice's place after being helped = %d, want 0", p)
	}
	if p, _ := s.Place(ctx, bob); p != 1 {
		t.Errorf("bob's place = %d, want 1", p)
	}
	wantKind(t, "Resolve(again)", s.Resolve(ctx, prof, aliceID), ErrNotFound, "no longer in the queue")
	_, err = s.Claim(ctx, prof, aliceID)
	wantKind(t, "Claim(resolved)", err, ErrNotFound, "no longer in the queue")

	if err := s.CancelHelp(ctx, bob); err != nil {
		t.Fatalf("CancelHelp(bob): %v", err)
	}
	wantKind(t, "CancelHelp(not queued)", s.CancelHelp(ctx, bob), ErrNotFound, "not in the help queue")
	if q, err := s.Queue(ctx, prof); err != nil || len(q) != 0 {
		t.Errorf("Queue at the end = %+v, %v; want empty", q, err)
	}
}

// recv waits for one event, failing after a deadline.
func recv(t *testing.T, events <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("events channel closed")
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return Event{}
}

func TestEveryChangeIsPublished(t *testing.T) {
	s, _, _ := newService(t)
	ctx := t.Context()
	events, cancel := s.Subscribe()
	defer cancel()

	a, err := s.Announce(ctx, prof, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events); !e.Announcements {
		t.Errorf("after Announce: %+v, want Announcements", e)
	}
	if err := s.Dismiss(ctx, alice, a.ID); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events); !e.DismissedBy("alice") || e.DismissedBy("bob") || e.Announcements {
		t.Errorf("after alice's Dismiss: %+v, want Dismissed by alice only", e)
	}
	if err := s.Retract(ctx, prof, a.ID); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events); !e.Announcements {
		t.Errorf("after Retract: %+v, want Announcements", e)
	}
	if _, err := s.RequestHelp(ctx, alice, ""); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events); !e.Queue {
		t.Errorf("after RequestHelp: %+v, want Queue", e)
	}
	q, _ := s.Queue(ctx, prof)
	if _, err := s.Claim(ctx, prof, q[0].ID); err != nil {
		t.Fatal(err)
	}
	if e := recv(t, events); !e.Queue {
		t.Errorf("after Claim: %+v, want Queue", e)
	}
	if err := s.Resolve(ctx, prof, q[0].ID); err != nil {
		t.Fatal(err)
	}
	e := recv(t, events)
	if r, ok := e.ResolvedFor("alice"); !e.Queue || !ok || r.By != "prof" || r.ID != q[0].ID {
		t.Errorf("after Resolve: %+v, want Queue and alice's request resolved by prof", e)
	}
	if _, ok := e.ResolvedFor("bob"); ok {
		t.Errorf("after Resolve: %+v says bob's request was resolved", e)
	}
	// A refusal changes nothing, so it is not published.
	if _, err := s.Announce(ctx, alice, "x"); !errors.Is(err, ErrForbidden) {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		t.Errorf("a refused action published %+v", e)
	default:
	}
}

// Many students asking at once get distinct places, and many professors
// claiming one request at once: one wins, the others learn who.
func TestConcurrentRequestsAndClaims(t *testing.T) {
	s, st, _ := newService(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const students, profs = 40, 6
	for i := range students {
		u := store.User{Username: fmt.Sprintf("s%02d", i), Role: store.RoleStudent, PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	for i := range profs {
		u := store.User{Username: fmt.Sprintf("p%d", i), Role: store.RoleProfessor, PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	events, stop := s.Subscribe() // a subscriber that never reads must not slow anyone
	defer stop()

	var wg sync.WaitGroup
	places := make([]int, students)
	errs := make([]error, students)
	start := make(chan struct{})
	for i := range students {
		wg.Go(func() {
			<-start
			places[i], errs[i] = s.RequestHelp(ctx, Actor{Username: fmt.Sprintf("s%02d", i)}, fmt.Sprint("question ", i))
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent RequestHelp: %v", err)
	}
	slices.Sort(places)
	for i, p := range places {
		if p != i+1 {
			t.Fatalf("places %v, want 1..%d each once", places, students)
		}
	}

	q, err := s.Queue(ctx, prof)
	if err != nil || len(q) != students {
		t.Fatalf("Queue = %d entries, %v", len(q), err)
	}
	claimErrs := make([]error, profs)
	start = make(chan struct{})
	for i := range profs {
		wg.Go(func() {
			<-start
			_, claimErrs[i] = s.Claim(ctx, Actor{Username: fmt.Sprintf("p%d", i)}, q[0].ID)
		})
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range claimErrs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "claimed by p"):
			t.Errorf("p%d's claim: %v, want success or a conflict naming the claimer", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d professors claimed the same request, want exactly 1", winners)
	}
	if e := recv(t, events); !e.Queue {
		t.Errorf("the idle subscriber holds %+v, want one merged event with Queue", e)
	}
}

// What one change costs the server when 200 students and a console are
// connected: every student's view re-reads its banners and its place, and
// the console re-reads the queue (SQLite in a temporary directory).
func BenchmarkClassRefresh200(b *testing.B) {
	s, st, _ := newService(b)
	ctx := b.Context()
	const students = 200
	actors := make([]Actor, students)
	for i := range actors {
		actors[i] = Actor{Username: fmt.Sprintf("s%03d", i)}
		u := store.User{Username: actors[i].Username, Role: store.RoleStudent, PasswordHash: "x"}
		if err := st.CreateUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
		if i%4 == 0 { // a quarter of the class is waiting
			if _, err := s.RequestHelp(ctx, actors[i], "stuck on exercise 2"); err != nil {
				b.Fatal(err)
			}
		}
	}
	for range 3 {
		if _, err := s.Announce(ctx, prof, "Lab ends at 12:00"); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		for _, a := range actors {
			if _, err := s.Current(ctx, a); err != nil {
				b.Fatal(err)
			}
			if _, err := s.MyRequest(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Queue(ctx, prof); err != nil {
			b.Fatal(err)
		}
	}
}
