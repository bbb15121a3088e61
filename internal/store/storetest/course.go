package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// courseTests cover store.Course.
func courseTests() []namedTest {
	return []namedTest{
		{"AssignmentPutAndUpdate", testAssignmentPut},
		{"AssignmentReleaseAndFeedback", testAssignmentRelease},
		{"ExtensionsAndAccommodations", testExtensions},
		{"SubmissionsAndGrades", testSubmissionsAndGrades},
	}
}

func hw(name string, due time.Time) store.Assignment {
	return store.Assignment{
		Name: name, Title: "Homework " + name, Due: due, LatePenalty: 0.1,
		Config: "title = \"x\"\n", Digest: strings.Repeat("a", 64), SourceDir: "/course/" + name,
	}
}

func sameAssignment(t *testing.T, what string, got, want store.Assignment) {
	t.Helper()
	if got.Name != want.Name || got.Title != want.Title || !got.Due.Equal(want.Due) || !got.LateUntil.Equal(want.LateUntil) ||
		got.LatePenalty != want.LatePenalty || got.Config != want.Config || got.Digest != want.Digest || got.SourceDir != want.SourceDir ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
		!got.ReleasedAt.Equal(want.ReleasedAt) || !got.FeedbackReleasedAt.Equal(want.FeedbackReleasedAt) {
		t.Errorf("%s: assignment differs:\n got  %+v\n want %+v", what, got, want)
	}
	for _, tm := range []time.Time{got.Due, got.LateUntil, got.CreatedAt, got.UpdatedAt, got.ReleasedAt, got.FeedbackReleasedAt} {
		checkUTC(t, what, tm)
	}
}

func testAssignmentPut(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.UnixMicro(t0Unix).In(notUTC())
	a := hw("hw1", t0.Add(7*24*time.Hour))
	a.LateUntil = t0.Add(8 * 24 * time.Hour)
	before, existed, after, err := s.PutAssignment(ctx, a, t0)
	if err != nil {
		t.Fatalf("PutAssignment(new): %v", err)
	}
	if existed || before.Name != "" {
		t.Errorf("PutAssignment(new) says it existed: %+v", before)
	}
	want := a
	want.Due, want.LateUntil = a.Due.UTC(), a.LateUntil.UTC()
	want.CreatedAt, want.UpdatedAt = t0.UTC(), t0.UTC()
	sameAssignment(t, "after add", after, want)
	got, err := s.AssignmentByName(ctx, "hw1")
	if err != nil {
		t.Fatalf("AssignmentByName: %v", err)
	}
	sameAssignment(t, "read back", got, want)

	// Released before the update: the update keeps the release.
	rel, err := s.MarkAssignmentReleased(ctx, "hw1", t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("MarkAssignmentReleased: %v", err)
	}
	want.ReleasedAt = t0.Add(time.Hour).UTC()
	sameAssignment(t, "released", rel, want)

	b := a
	b.Title, b.LateUntil, b.Digest = "Renamed", time.Time{}, strings.Repeat("b", 64)
	before, existed, after, err = s.PutAssignment(ctx, b, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatalf("PutAssignment(update): %v", err)
	}
	if !existed {
		t.Error("PutAssignment(update) says it is new")
	}
	sameAssignment(t, "before update", before, want)
	want.Title, want.LateUntil, want.Digest, want.UpdatedAt = "Renamed", time.Time{}, b.Digest, t0.Add(2*time.Hour).UTC()
	sameAssignment(t, "after update", after, want)

	if _, _, _, err := s.PutAssignment(ctx, hw("hw0", t0), t0); err != nil {
		t.Fatalf("PutAssignment(hw0): %v", err)
	}
	as, err := s.ListAssignments(ctx)
	if err != nil {
		t.Fatalf("ListAssignments: %v", err)
	}
	var names []string
	for _, a := range as {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"hw0", "hw1"}) {
		t.Errorf("ListAssignments = %v, want by due time [hw0 hw1]", names)
	}
	wantErr(t, "AssignmentByName(missing)", func() error { _, err := s.AssignmentByName(ctx, "nope"); return err }(), store.ErrNotFound, "nope")
	if _, err := s.MarkAssignmentReleased(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkAssignmentReleased(missing) = %v, want ErrNotFound", err)
	}
}

func testAssignmentRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.UnixMicro(t0Unix).UTC()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	if _, _, _, err := s.PutAssignment(ctx, hw("hw1", t0.Add(time.Hour)), t0); err != nil {
		t.Fatal(err)
	}
	a1, err := s.MarkAssignmentReleased(ctx, "hw1", t0)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := s.MarkAssignmentReleased(ctx, "hw1", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !a2.ReleasedAt.Equal(a1.ReleasedAt) || !a1.ReleasedAt.Equal(t0) {
		t.Errorf("released at %v then %v, want the first time %v kept", a1.ReleasedAt, a2.ReleasedAt, t0)
	}
	for _, c := range []struct {
		user string
		want bool
	}{{"bob", true}, {"alice", true}, {"bob", false}} {
		first, err := s.RecordRelease(ctx, "hw1", c.user, t0)
		if err != nil {
			t.Fatalf("RecordRelease(%s): %v", c.user, err)
		}
		if first != c.want {
			t.Errorf("RecordRelease(%s) first = %v, want %v", c.user, first, c.want)
		}
	}
	got, err := s.ReleasedTo(ctx, "hw1")
	if err != nil || !slices.Equal(got, []string{"alice", "bob"}) {
		t.Errorf("ReleasedTo = %v, %v; want [alice bob]", got, err)
	}
	if _, err := s.RecordRelease(ctx, "hw1", "nobody", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordRelease(missing user) = %v, want ErrNotFound", err)
	}
	if _, err := s.RecordRelease(ctx, "hw9", "alice", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordRelease(missing assignment) = %v, want ErrNotFound", err)
	}

	fb, err := s.SetFeedbackReleased(ctx, "hw1", t0.Add(2*time.Hour))
	if err != nil || !fb.FeedbackReleasedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("SetFeedbackReleased = %v, %v", fb.FeedbackReleasedAt, err)
	}
	fb, err = s.SetFeedbackReleased(ctx, "hw1", time.Time{})
	if err != nil || !fb.FeedbackReleasedAt.IsZero() {
		t.Errorf("SetFeedbackReleased(zero) = %v, %v; want cleared", fb.FeedbackReleasedAt, err)
	}
}

func testExtensions(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.UnixMicro(t0Unix).UTC()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	if _, _, _, err := s.PutAssignment(ctx, hw("hw1", t0), t0); err != nil {
		t.Fatal(err)
	}
	e := store.Extension{Assignment: "hw1", Username: "bob", Until: t0.Add(48 * time.Hour).In(notUTC()), GrantedBy: "cli:root", GrantedAt: t0}
	if err := s.SetExtension(ctx, e); err != nil {
		t.Fatalf("SetExtension: %v", err)
	}
	e.Until = t0.Add(72 * time.Hour) // a second grant replaces the first
	if err := s.SetExtension(ctx, e); err != nil {
		t.Fatalf("SetExtension(again): %v", err)
	}
	es, err := s.ListExtensions(ctx, "hw1")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Username != "bob" || !es[0].Until.Equal(e.Until) || es[0].GrantedBy != "cli:root" {
		t.Errorf("ListExtensions = %+v, want bob's one extension until %v", es, e.Until)
	} else {
		checkUTC(t, "Until", es[0].Until)
	}
	if err := s.SetExtension(ctx, store.Extension{Assignment: "hw1", Username: "nobody", Until: t0, GrantedBy: "x", GrantedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetExtension(missing user) = %v, want ErrNotFound", err)
	}

	for _, a := range []store.Accommodation{
		{Username: "alice", ExtraDays: 2, SetBy: "cli:root", SetAt: t0},
		{Username: "bob", ExtraDays: 1, SetBy: "cli:root", SetAt: t0},
		{Username: "alice", ExtraDays: 3, SetBy: "prof", SetAt: t0.Add(time.Second)},
	} {
		if err := s.SetAccommodation(ctx, a); err != nil {
			t.Fatalf("SetAccommodation(%+v): %v", a, err)
		}
	}
	if err := s.SetAccommodation(ctx, store.Accommodation{Username: "bob", SetBy: "prof", SetAt: t0}); err != nil {
		t.Fatalf("SetAccommodation(bob, 0): %v", err)
	}
	as, err := s.ListAccommodations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].Username != "alice" || as[0].ExtraDays != 3 || as[0].SetBy != "prof" || !as[0].SetAt.Equal(t0.Add(time.Second)) {
		t.Errorf("ListAccommodations = %+v, want alice's 3 days only", as)
	}
	for _, days := range []int{0, 2} {
		if err := s.SetAccommodation(ctx, store.Accommodation{Username: "nobody", ExtraDays: days, SetBy: "x", SetAt: t0}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetAccommodation(missing user, %d) = %v, want ErrNotFound", days, err)
		}
	}
}

func testSubmissionsAndGrades(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.UnixMicro(t0Unix).UTC()
	mustCreate(t, s, "alice", store.RoleStudent)
	mustCreate(t, s, "bob", store.RoleStudent)
	if _, _, _, err := s.PutAssignment(ctx, hw("hw1", t0), t0); err != nil {
		t.Fatal(err)
	}
	subs := []store.Submission{
		{Assignment: "hw1", Username: "alice", SubmittedAt: t0.In(notUTC()), SHA256: strings.Repeat("1", 64), Files: 1, Bytes: 10, Path: "submissions/hw1/alice/1"},
		{Assignment: "hw1", Username: "bob", SubmittedAt: t0.Add(time.Minute), SHA256: strings.Repeat("2", 64), Files: 2, Bytes: 20, Automatic: true, Path: "submissions/hw1/bob/2"},
		{Assignment: "hw1", Username: "alice", SubmittedAt: t0.Add(2 * time.Minute), SHA256: strings.Repeat("3", 64), Files: 1, Bytes: 12, Late: true, Path: "submissions/hw1/alice/3"},
	}
	for i := range subs {
		if err := s.AddSubmission(ctx, &subs[i]); err != nil {
			t.Fatalf("AddSubmission(%d): %v", i, err)
		}
		if subs[i].ID == 0 || i > 0 && subs[i].ID <= subs[i-1].ID {
			t.Errorf("submission %d got ID %d, want increasing IDs", i, subs[i].ID)
		}
	}
	all, err := s.ListSubmissions(ctx, "hw1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(all, subs, func(a, b store.Submission) bool {
		return a.ID == b.ID && a.Username == b.Username && a.SubmittedAt.Equal(b.SubmittedAt) && a.SHA256 == b.SHA256 &&
			a.Files == b.Files && a.Bytes == b.Bytes && a.Automatic == b.Automatic && a.Late == b.Late && a.Path == b.Path
	}) {
		t.Errorf("ListSubmissions(all) =\n %+v\nwant\n %+v", all, subs)
	}
	for _, sub := range all {
		checkUTC(t, "SubmittedAt", sub.SubmittedAt)
	}
	alice, err := s.ListSubmissions(ctx, "hw1", "alice")
	if err != nil || len(alice) != 2 || alice[0].ID != subs[0].ID || alice[1].ID != subs[2].ID {
		t.Errorf("ListSubmissions(alice) = %+v, %v; want her two, oldest first", alice, err)
	}
	one, err := s.SubmissionByID(ctx, subs[1].ID)
	if err != nil || one.Username != "bob" || !one.Automatic {
		t.Errorf("SubmissionByID = %+v, %v", one, err)
	}
	if _, err := s.SubmissionByID(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SubmissionByID(missing) = %v, want ErrNotFound", err)
	}
	bad := store.Submission{Assignment: "hw9", Username: "alice", SubmittedAt: t0, SHA256: strings.Repeat("1", 64), Path: "x"}
	if err := s.AddSubmission(ctx, &bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddSubmission(missing assignment) = %v, want ErrNotFound", err)
	}

	g := store.Grade{Assignment: "hw1", Username: "alice", SubmissionID: subs[2].ID, Score: 4.5, MaxScore: 6, Status: "graded", Results: `{"score":4.5}`, GradedAt: t0}
	if err := s.PutGrade(ctx, g); err != nil {
		t.Fatalf("PutGrade: %v", err)
	}
	g.Score, g.GradedAt = 6, t0.Add(time.Hour) // a re-grade replaces it
	if err := s.PutGrade(ctx, g); err != nil {
		t.Fatalf("PutGrade(again): %v", err)
	}
	none := store.Grade{Assignment: "hw1", Username: "bob", MaxScore: 6, Status: "error: the tests did not run", Results: "{}", GradedAt: t0}
	if err := s.PutGrade(ctx, none); err != nil {
		t.Fatalf("PutGrade(no submission): %v", err)
	}
	gs, err := s.ListGrades(ctx, "hw1")
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || gs[0] != g || gs[1] != none {
		t.Errorf("ListGrades =\n %+v\nwant\n %+v\n %+v", gs, g, none)
	}
	if err := s.PutGrade(ctx, store.Grade{Assignment: "hw1", Username: "nobody", Status: "graded", Results: "{}", GradedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutGrade(missing user) = %v, want ErrNotFound", err)
	}
}
