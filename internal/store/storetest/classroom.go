package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// namedTest is the element type of Run's table, so that this file can add rows.
type namedTest = struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// classroomTests cover store.Classroom: announcements and the help queue.
func classroomTests() []namedTest {
	return []namedTest{
		{"Announcements", testAnnouncements},
		{"AnnouncementsDefaultLimit", testAnnouncementsDefaultLimit},
		{"AnnouncementDismissals", testAnnouncementDismissals},
		{"HelpQueue", testHelpQueue},
		{"HelpClaims", testHelpClaims},
		{"HelpQueueConcurrent", testHelpQueueConcurrent},
	}
}

func sameAnnouncement(t *testing.T, what string, got, want store.Announcement) {
	t.Helper()
	if got.ID != want.ID || got.Author != want.Author || got.Text != want.Text || !got.CreatedAt.Equal(want.CreatedAt) ||
		!got.ExpiresAt.Equal(want.ExpiresAt) || !got.RetractedAt.Equal(want.RetractedAt) || got.RetractedBy != want.RetractedBy {
		t.Errorf("%s: announcement differs:\n got  %+v\n want %+v", what, got, want)
	}
	for name, tm := range map[string]time.Time{"CreatedAt": got.CreatedAt, "ExpiresAt": got.ExpiresAt, "RetractedAt": got.RetractedAt} {
		checkUTC(t, what+" "+name, tm)
	}
}

func announcementIDs(list []store.Announcement) []int64 {
	ids := []int64{}
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return ids
}

func mustActive(t *testing.T, s store.Store, username string, now time.Time) []int64 {
	t.Helper()
	list, err := s.ActiveAnnouncements(t.Context(), username, now)
	if err != nil {
		t.Fatalf("ActiveAnnouncements(%q, %v): %v", username, now, err)
	}
	return announcementIDs(list)
}

func testAnnouncements(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	mustCreate(t, s, "prof", store.RoleProfessor)
	mustCreate(t, s, "ta", store.RoleProfessor)
	mustCreate(t, s, "alice", store.RoleStudent)

	if got := mustActive(t, s, "alice", t0); len(got) != 0 {
		t.Fatalf("fresh store shows announcements %v, want none", got)
	}
	if got, err := s.ListAnnouncements(ctx, 0); err != nil || len(got) != 0 {
		t.Fatalf("ListAnnouncements on a fresh store = %v, %v; want empty, nil", got, err)
	}

	// Created out of time order: lists follow CreatedAt, not insertion.
	later := store.Announcement{Author: "prof", Text: "Lab ends at 12:00", CreatedAt: t0.Add(2 * time.Minute).In(notUTC())}
	earlier := store.Announcement{Author: "ta", Text: "Exercise 3 is optional 🙂", CreatedAt: t0}
	expiring := store.Announcement{Author: "prof", Text: "Break!", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(10 * time.Minute)}
	for _, a := range []*store.Announcement{&later, &earlier, &expiring} {
		if err := s.CreateAnnouncement(ctx, a); err != nil {
			t.Fatalf("CreateAnnouncement(%q): %v", a.Text, err)
		}
		if a.ID <= 0 {
			t.Errorf("CreateAnnouncement(%q) set ID %d, want > 0", a.Text, a.ID)
		}
		checkUTC(t, "CreatedAt", a.CreatedAt)
	}
	if later.ID == earlier.ID || earlier.ID == expiring.ID || later.ID == expiring.ID {
		t.Fatalf("announcement IDs %d, %d, %d are not distinct", later.ID, earlier.ID, expiring.ID)
	}
	history, err := s.ListAnnouncements(ctx, 0)
	if err != nil || len(history) != 3 {
		t.Fatalf("ListAnnouncements = %+v, %v; want 3", history, err)
	}
	for i, want := range []store.Announcement{later, expiring, earlier} { // newest first
		sameAnnouncement(t, fmt.Sprintf("ListAnnouncements[%d]", i), history[i], want)
	}
	if got, err := s.ListAnnouncements(ctx, 1); err != nil || len(got) != 1 || got[0].ID != later.ID {
		t.Errorf("ListAnnouncements(limit 1) = %+v, %v; want only the newest", got, err)
	}

	// Oldest first; an expiring one shows until (not at) its end.
	if got, want := mustActive(t, s, "alice", t0.Add(3*time.Minute)), []int64{earlier.ID, expiring.ID, later.ID}; !slices.Equal(got, want) {
		t.Errorf("active at t0+3m = %v, want %v (oldest first)", got, want)
	}
	if got, want := mustActive(t, s, "alice", t0.Add(10*time.Minute)), []int64{earlier.ID, later.ID}; !slices.Equal(got, want) {
		t.Errorf("active when the break ends = %v, want %v", got, want)
	}
	if !expiring.Active(t0.Add(10*time.Minute-time.Microsecond)) || expiring.Active(t0.Add(10*time.Minute)) {
		t.Errorf("Announcement.Active disagrees with the store about the end of %+v", expiring)
	}

	// Retracting ends it for everyone; a second retraction keeps the first.
	at := t0.Add(5 * time.Minute)
	got, err := s.RetractAnnouncement(ctx, later.ID, "ta", at.In(notUTC()))
	if err != nil {
		t.Fatalf("RetractAnnouncement: %v", err)
	}
	want := later
	want.RetractedAt, want.RetractedBy = at, "ta"
	sameAnnouncement(t, "RetractAnnouncement", got, want)
	got, err = s.RetractAnnouncement(ctx, later.ID, "prof", at.Add(time.Minute))
	if err != nil {
		t.Fatalf("RetractAnnouncement again: %v", err)
	}
	sameAnnouncement(t, "RetractAnnouncement again", got, want)
	if got := mustActive(t, s, "alice", t0.Add(6*time.Minute)); !slices.Equal(got, []int64{earlier.ID, expiring.ID}) {
		t.Errorf("active after the retraction = %v, want %v", got, []int64{earlier.ID, expiring.ID})
	}
	if history, err := s.ListAnnouncements(ctx, 0); err != nil || len(history) != 3 {
		t.Errorf("ListAnnouncements after a retraction = %d entries, %v; want all 3 kept", len(history), err)
	} else {
		sameAnnouncement(t, "history of the retracted one", history[0], want)
	}

	_, err = s.RetractAnnouncement(ctx, later.ID+expiring.ID+earlier.ID, "prof", at)
	wantErr(t, "RetractAnnouncement(missing)", err, store.ErrNotFound, "announcement")
	_, err = s.RetractAnnouncement(ctx, earlier.ID, "nobody", at)
	wantErr(t, "RetractAnnouncement(by a missing user)", err, store.ErrNotFound, "announcement")
	bad := store.Announcement{Author: "nobody", Text: "hello"}
	wantErr(t, "CreateAnnouncement(by a missing user)", s.CreateAnnouncement(ctx, &bad), store.ErrNotFound, "nobody")

	// A zero CreatedAt means now.
	before := time.Now().Add(-time.Second)
	now := store.Announcement{Author: "prof", Text: "now"}
	if err := s.CreateAnnouncement(ctx, &now); err != nil {
		t.Fatalf("CreateAnnouncement(zero CreatedAt): %v", err)
	}
	if now.CreatedAt.Before(before) || now.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("CreatedAt = %v, want about now", now.CreatedAt)
	}
}

func testAnnouncementsDefaultLimit(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	mustCreate(t, s, "prof", store.RoleProfessor)
	const n = 105
	for i := range n {
		a := store.Announcement{Author: "prof", Text: fmt.Sprintf("a%03d", i), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := s.CreateAnnouncement(ctx, &a); err != nil {
			t.Fatalf("CreateAnnouncement %d: %v", i, err)
		}
	}
	got, err := s.ListAnnouncements(ctx, 0)
	if err != nil || len(got) != 100 {
		t.Fatalf("ListAnnouncements(0) returned %d (err %v), want the default 100", len(got), err)
	}
	if got[0].Text != "a104" || got[99].Text != "a005" {
		t.Errorf("default page spans %s..%s, want the newest a104..a005", got[0].Text, got[99].Text)
	}
	if got, err := s.ListAnnouncements(ctx, 200); err != nil || len(got) != n {
		t.Errorf("ListAnnouncements(200) returned %d (err %v), want all %d", len(got), err, n)
	}
}

func testAnnouncementDismissals(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	mustCreate(t, s, "prof", store.RoleProfessor)
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	a1 := store.Announcement{Author: "prof", Text: "one", CreatedAt: t0}
	a2 := store.Announcement{Author: "prof", Text: "two", CreatedAt: t0.Add(time.Second)}
	for _, a := range []*store.Announcement{&a1, &a2} {
		if err := s.CreateAnnouncement(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Minute)
	for range 2 { // twice: the second dismissal is a no-op
		if err := s.DismissAnnouncement(ctx, a1.ID, "alice", now); err != nil {
			t.Fatalf("DismissAnnouncement(alice): %v", err)
		}
	}
	if got := mustActive(t, s, "alice", now); !slices.Equal(got, []int64{a2.ID}) {
		t.Errorf("alice sees %v after dismissing %d, want only %d", got, a1.ID, a2.ID)
	}
	if got := mustActive(t, s, "bob", now); !slices.Equal(got, []int64{a1.ID, a2.ID}) {
		t.Errorf("bob sees %v, want both: alice's dismissal is hers alone", got)
	}
	wantErr(t, "DismissAnnouncement(missing announcement)", s.DismissAnnouncement(ctx, a1.ID+a2.ID, "alice", now), store.ErrNotFound, "alice")
	wantErr(t, "DismissAnnouncement(missing user)", s.DismissAnnouncement(ctx, a1.ID, "mallory", now), store.ErrNotFound, "mallory")
	if got := mustActive(t, s, "nobody", now); !slices.Equal(got, []int64{a1.ID, a2.ID}) {
		t.Errorf("an unknown user reads %v, want every active one (reads do not check users)", got)
	}
}

func mustRequestHelp(t *testing.T, s store.Store, student, question string, at time.Time, wantPlace int, wantCreated bool) store.HelpRequest {
	t.Helper()
	r, place, created, err := s.RequestHelp(t.Context(), student, question, at)
	if err != nil {
		t.Fatalf("RequestHelp(%q): %v", student, err)
	}
	if place != wantPlace || created != wantCreated || r.Student != student || r.Question != question || !r.Open() || r.ID <= 0 {
		t.Fatalf("RequestHelp(%q, %q) = %+v, place %d, created %v; want an open request at place %d, created %v",
			student, question, r, place, created, wantPlace, wantCreated)
	}
	checkUTC(t, "HelpRequest.CreatedAt", r.CreatedAt)
	return r
}

func queueOf(t *testing.T, s store.Store) []string {
	t.Helper()
	list, err := s.ListOpenHelpRequests(t.Context())
	if err != nil {
		t.Fatalf("ListOpenHelpRequests: %v", err)
	}
	names := []string{}
	for _, r := range list {
		if !r.Open() {
			t.Errorf("ListOpenHelpRequests includes a closed request %+v", r)
		}
		names = append(names, r.Student)
	}
	return names
}

func testHelpQueue(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	for _, name := range []string{"alice", "bob", "carol"} {
		mustCreate(t, s, name, store.RoleStudent)
	}
	if q := queueOf(t, s); len(q) != 0 {
		t.Fatalf("fresh queue = %v, want empty", q)
	}
	_, _, err := s.OpenHelpRequest(ctx, "alice")
	wantErr(t, "OpenHelpRequest(none)", err, store.ErrNotFound, "alice")

	alice := mustRequestHelp(t, s, "alice", "", t0.In(notUTC()), 1, true)
	if !alice.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt = %v, want %v", alice.CreatedAt, t0)
	}
	bob := mustRequestHelp(t, s, "bob", "why does my loop never end?", t0.Add(time.Second), 2, true)
	// Asking again updates the question and keeps the place and the time.
	again := mustRequestHelp(t, s, "alice", "IndexError on line 3", t0.Add(time.Minute), 1, false)
	if again.ID != alice.ID || !again.CreatedAt.Equal(alice.CreatedAt) {
		t.Errorf("asking again gave %+v, want request %d kept from %v", again, alice.ID, alice.CreatedAt)
	}
	mustRequestHelp(t, s, "carol", "", t0.Add(2*time.Second), 3, true)
	if q := queueOf(t, s); !slices.Equal(q, []string{"alice", "bob", "carol"}) {
		t.Errorf("queue = %v, want alice, bob, carol", q)
	}
	r, place, err := s.OpenHelpRequest(ctx, "bob")
	if err != nil || place != 2 || r.ID != bob.ID || r.Question != bob.Question {
		t.Errorf("OpenHelpRequest(bob) = %+v, %d, %v; want request %d at place 2", r, place, err, bob.ID)
	}

	// Cancelling moves everyone behind up; a new request goes to the back.
	cancelAt := t0.Add(3 * time.Second)
	r, err = s.CancelHelpRequest(ctx, "alice", cancelAt.In(notUTC()))
	if err != nil || r.ID != alice.ID || !r.CancelledAt.Equal(cancelAt) || r.Open() {
		t.Fatalf("CancelHelpRequest(alice) = %+v, %v; want request %d cancelled at %v", r, err, alice.ID, cancelAt)
	}
	checkUTC(t, "CancelledAt", r.CancelledAt)
	_, err = s.CancelHelpRequest(ctx, "alice", cancelAt)
	wantErr(t, "CancelHelpRequest(none open)", err, store.ErrNotFound, "alice")
	if _, place, _ := s.OpenHelpRequest(ctx, "carol"); place != 2 {
		t.Errorf("carol's place after alice cancelled = %d, want 2", place)
	}
	renewed := mustRequestHelp(t, s, "alice", "still stuck", t0.Add(4*time.Second), 3, true)
	if renewed.ID == alice.ID {
		t.Errorf("a request after a cancel reused ID %d, want a new one", alice.ID)
	}
	if q := queueOf(t, s); !slices.Equal(q, []string{"bob", "carol", "alice"}) {
		t.Errorf("queue = %v, want bob, carol, alice", q)
	}

	_, _, _, err = s.RequestHelp(ctx, "nobody", "", t0)
	wantErr(t, "RequestHelp(missing student)", err, store.ErrNotFound, "nobody")
}

func testHelpClaims(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	ctx := t.Context()
	mustCreate(t, s, "prof", store.RoleProfessor)
	mustCreate(t, s, "ta", store.RoleProfessor)
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	req := mustRequestHelp(t, s, "alice", "help", t0, 1, true)
	mustRequestHelp(t, s, "bob", "", t0.Add(time.Second), 2, true)

	claimAt := t0.Add(time.Minute)
	r, err := s.ClaimHelpRequest(ctx, req.ID, "ta", claimAt.In(notUTC()))
	if err != nil || r.ClaimedBy != "ta" || !r.ClaimedAt.Equal(claimAt) || !r.Open() {
		t.Fatalf("ClaimHelpRequest(ta) = %+v, %v; want claimed by ta at %v", r, err, claimAt)
	}
	checkUTC(t, "ClaimedAt", r.ClaimedAt)
	// Claiming one's own claim again keeps it as it was.
	if r, err := s.ClaimHelpRequest(ctx, req.ID, "ta", claimAt.Add(time.Minute)); err != nil || r.ClaimedBy != "ta" || !r.ClaimedAt.Equal(claimAt) {
		t.Errorf("ClaimHelpRequest(ta again) = %+v, %v; want unchanged", r, err)
	}
	// Someone else's claim is a conflict that names the claimer.
	r, err = s.ClaimHelpRequest(ctx, req.ID, "prof", claimAt.Add(time.Minute))
	wantErr(t, "ClaimHelpRequest(claimed by another)", err, store.ErrConflict, "ta")
	if r.ClaimedBy != "ta" {
		t.Errorf("conflicting claim returned %+v, want it to show the claimer ta", r)
	}
	_, err = s.UnclaimHelpRequest(ctx, req.ID, "prof")
	wantErr(t, "UnclaimHelpRequest(by another)", err, store.ErrConflict, "ta")
	if q, err := s.ListOpenHelpRequests(ctx); err != nil || len(q) != 2 || q[0].ClaimedBy != "ta" || q[1].ClaimedBy != "" {
		t.Errorf("queue = %+v, %v; want alice claimed by ta, then bob unclaimed", q, err)
	}

	r, err = s.UnclaimHelpRequest(ctx, req.ID, "ta")
	if err != nil || r.ClaimedBy != "" || !r.ClaimedAt.IsZero() {
		t.Fatalf("UnclaimHelpRequest(ta) = %+v, %v; want unclaimed", r, err)
	}
	if r, err := s.UnclaimHelpRequest(ctx, req.ID, "prof"); err != nil || r.ClaimedBy != "" {
		t.Errorf("UnclaimHelpRequest(unclaimed) = %+v, %v; want it unchanged", r, err)
	}
	if r, err := s.ClaimHelpRequest(ctx, req.ID, "prof", claimAt); err != nil || r.ClaimedBy != "prof" {
		t.Fatalf("ClaimHelpRequest(prof) after the release = %+v, %v", r, err)
	}

	// Any professor may resolve; a resolved request is gone from the queue.
	resolveAt := t0.Add(2 * time.Minute)
	r, err = s.ResolveHelpRequest(ctx, req.ID, "ta", resolveAt.In(notUTC()))
	if err != nil || r.ResolvedBy != "ta" || !r.ResolvedAt.Equal(resolveAt) || r.Open() || r.Student != "alice" {
		t.Fatalf("ResolveHelpRequest = %+v, %v; want alice's request resolved by ta at %v", r, err, resolveAt)
	}
	checkUTC(t, "ResolvedAt", r.ResolvedAt)
	if q := queueOf(t, s); !slices.Equal(q, []string{"bob"}) {
		t.Errorf("queue after resolving = %v, want bob", q)
	}
	if _, place, err := s.OpenHelpRequest(ctx, "bob"); err != nil || place != 1 {
		t.Errorf("bob's place = %d, %v; want 1", place, err)
	}
	_, err = s.ResolveHelpRequest(ctx, req.ID, "prof", resolveAt)
	wantErr(t, "ResolveHelpRequest(resolved)", err, store.ErrNotFound, fmt.Sprint(req.ID))
	_, err = s.ClaimHelpRequest(ctx, req.ID, "prof", resolveAt)
	wantErr(t, "ClaimHelpRequest(resolved)", err, store.ErrNotFound, fmt.Sprint(req.ID))
	_, err = s.UnclaimHelpRequest(ctx, req.ID, "prof")
	wantErr(t, "UnclaimHelpRequest(resolved)", err, store.ErrNotFound, fmt.Sprint(req.ID))
	_, err = s.ClaimHelpRequest(ctx, req.ID+1000, "prof", resolveAt)
	wantErr(t, "ClaimHelpRequest(missing)", err, store.ErrNotFound, fmt.Sprint(req.ID+1000))
	_, err = s.ResolveHelpRequest(ctx, req.ID+1000, "prof", resolveAt)
	wantErr(t, "ResolveHelpRequest(missing)", err, store.ErrNotFound, fmt.Sprint(req.ID+1000))

	// alice may ask again once resolved: one open request per student, not one ever.
	mustRequestHelp(t, s, "alice", "another one", t0.Add(3*time.Minute), 2, true)
}

// Students asking at once get distinct places; one student asking from many
// connections at once has one request.
func testHelpQueueConcurrent(t *testing.T, s store.Store) {
	t0 := time.UnixMicro(t0Unix).UTC()
	const n = 20
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for i := range n {
		mustCreate(t, s, fmt.Sprintf("s%02d", i), store.RoleStudent)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		places  []int
		created int
		errs    []error
	)
	start := make(chan struct{})
	for i := range 2 * n {
		student := fmt.Sprintf("s%02d", i%n) // every student asks twice at once
		wg.Go(func() {
			<-start
			_, place, isNew, err := s.RequestHelp(ctx, student, fmt.Sprint("question ", i), t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if isNew {
				created++
				places = append(places, place)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d concurrent RequestHelp calls failed; first: %v", len(errs), 2*n, errs[0])
	}
	if created != n {
		t.Fatalf("%d requests created for %d students, want one each", created, n)
	}
	slices.Sort(places)
	for i, p := range places {
		if p != i+1 {
			t.Fatalf("new requests got places %v, want 1..%d each once", places, n)
		}
	}
	if q := queueOf(t, s); len(q) != n {
		t.Fatalf("queue has %d requests, want %d", len(q), n)
	}
}
