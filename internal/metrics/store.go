package metrics

import (
	"context"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// CountErrors returns st with every failed call counted in
// classroomd_store_errors_total{op}. With a nil m it returns st itself.
//
// Every method of store.Store is wrapped below (a test checks it); one added
// to the interface later and not here still works, uncounted, through the
// embedded Store.
func (m *Metrics) CountErrors(st store.Store) store.Store {
	if m == nil {
		return st
	}
	return &countingStore{Store: st, m: m}
}

type countingStore struct {
	store.Store
	m *Metrics
}

func (s *countingStore) ActiveAnnouncements(ctx context.Context, a1 string, a2 time.Time) (r0 []store.Announcement, err error) {
	r0, err = s.Store.ActiveAnnouncements(ctx, a1, a2)
	s.m.StoreError("ActiveAnnouncements", err)
	return
}

func (s *countingStore) AddPublicKey(ctx context.Context, a1 store.PublicKey) (err error) {
	err = s.Store.AddPublicKey(ctx, a1)
	s.m.StoreError("AddPublicKey", err)
	return
}

func (s *countingStore) AppendAudit(ctx context.Context, a1 store.AuditEntry) (err error) {
	err = s.Store.AppendAudit(ctx, a1)
	s.m.StoreError("AppendAudit", err)
	return
}

func (s *countingStore) CancelHelpRequest(ctx context.Context, a1 string, a2 time.Time) (r0 store.HelpRequest, err error) {
	r0, err = s.Store.CancelHelpRequest(ctx, a1, a2)
	s.m.StoreError("CancelHelpRequest", err)
	return
}

func (s *countingStore) ClaimHelpRequest(ctx context.Context, a1 int64, a2 string, a3 time.Time) (r0 store.HelpRequest, err error) {
	r0, err = s.Store.ClaimHelpRequest(ctx, a1, a2, a3)
	s.m.StoreError("ClaimHelpRequest", err)
	return
}

func (s *countingStore) ClearLoginFailures(ctx context.Context, a1 string, a2 string) (err error) {
	err = s.Store.ClearLoginFailures(ctx, a1, a2)
	s.m.StoreError("ClearLoginFailures", err)
	return
}

func (s *countingStore) Close() (err error) {
	err = s.Store.Close()
	s.m.StoreError("Close", err)
	return
}

func (s *countingStore) CountUsers(ctx context.Context) (r0 int, err error) {
	r0, err = s.Store.CountUsers(ctx)
	s.m.StoreError("CountUsers", err)
	return
}

func (s *countingStore) CreateAnnouncement(ctx context.Context, a1 *store.Announcement) (err error) {
	err = s.Store.CreateAnnouncement(ctx, a1)
	s.m.StoreError("CreateAnnouncement", err)
	return
}

func (s *countingStore) CreateUser(ctx context.Context, a1 *store.User) (err error) {
	err = s.Store.CreateUser(ctx, a1)
	s.m.StoreError("CreateUser", err)
	return
}

func (s *countingStore) CreateWebSession(ctx context.Context, a1 *store.WebSession) (err error) {
	err = s.Store.CreateWebSession(ctx, a1)
	s.m.StoreError("CreateWebSession", err)
	return
}

func (s *countingStore) DeleteExpiredWebSessions(ctx context.Context, a1 time.Time) (r0 int, err error) {
	r0, err = s.Store.DeleteExpiredWebSessions(ctx, a1)
	s.m.StoreError("DeleteExpiredWebSessions", err)
	return
}

func (s *countingStore) DeleteUserWebSessions(ctx context.Context, a1 string, a2 int64) (r0 int, err error) {
	r0, err = s.Store.DeleteUserWebSessions(ctx, a1, a2)
	s.m.StoreError("DeleteUserWebSessions", err)
	return
}

func (s *countingStore) DeleteWebSession(ctx context.Context, a1 int64) (err error) {
	err = s.Store.DeleteWebSession(ctx, a1)
	s.m.StoreError("DeleteWebSession", err)
	return
}

func (s *countingStore) DismissAnnouncement(ctx context.Context, a1 int64, a2 string, a3 time.Time) (err error) {
	err = s.Store.DismissAnnouncement(ctx, a1, a2, a3)
	s.m.StoreError("DismissAnnouncement", err)
	return
}

func (s *countingStore) ImportUsers(ctx context.Context, a1 []store.UserImport) (r0 store.ImportResult, err error) {
	r0, err = s.Store.ImportUsers(ctx, a1)
	s.m.StoreError("ImportUsers", err)
	return
}

func (s *countingStore) ListAnnouncements(ctx context.Context, a1 int) (r0 []store.Announcement, err error) {
	r0, err = s.Store.ListAnnouncements(ctx, a1)
	s.m.StoreError("ListAnnouncements", err)
	return
}

func (s *countingStore) ListAudit(ctx context.Context, a1 store.AuditFilter) (r0 []store.AuditEntry, err error) {
	r0, err = s.Store.ListAudit(ctx, a1)
	s.m.StoreError("ListAudit", err)
	return
}

func (s *countingStore) ListOpenHelpRequests(ctx context.Context) (r0 []store.HelpRequest, err error) {
	r0, err = s.Store.ListOpenHelpRequests(ctx)
	s.m.StoreError("ListOpenHelpRequests", err)
	return
}

func (s *countingStore) ListPublicKeys(ctx context.Context, a1 string) (r0 []store.PublicKey, err error) {
	r0, err = s.Store.ListPublicKeys(ctx, a1)
	s.m.StoreError("ListPublicKeys", err)
	return
}

func (s *countingStore) ListUsers(ctx context.Context) (r0 []store.User, err error) {
	r0, err = s.Store.ListUsers(ctx)
	s.m.StoreError("ListUsers", err)
	return
}

func (s *countingStore) LoginFailures(ctx context.Context, a1 string, a2 string, a3 time.Time, a4 time.Duration) (r0 store.FailureCount, err error) {
	r0, err = s.Store.LoginFailures(ctx, a1, a2, a3, a4)
	s.m.StoreError("LoginFailures", err)
	return
}

func (s *countingStore) Migrate(ctx context.Context) (r0 []string, err error) {
	r0, err = s.Store.Migrate(ctx)
	s.m.StoreError("Migrate", err)
	return
}

func (s *countingStore) OpenHelpRequest(ctx context.Context, a1 string) (r0 store.HelpRequest, r1 int, err error) {
	r0, r1, err = s.Store.OpenHelpRequest(ctx, a1)
	s.m.StoreError("OpenHelpRequest", err)
	return
}

func (s *countingStore) Ping(ctx context.Context) (err error) {
	err = s.Store.Ping(ctx)
	s.m.StoreError("Ping", err)
	return
}

func (s *countingStore) PruneAudit(ctx context.Context, a1 time.Time, a2 int) (r0 int, err error) {
	r0, err = s.Store.PruneAudit(ctx, a1, a2)
	s.m.StoreError("PruneAudit", err)
	return
}

func (s *countingStore) PruneLoginFailures(ctx context.Context, a1 time.Time, a2 int) (r0 int, err error) {
	r0, err = s.Store.PruneLoginFailures(ctx, a1, a2)
	s.m.StoreError("PruneLoginFailures", err)
	return
}

func (s *countingStore) RecordLogin(ctx context.Context, a1 string, a2 time.Time) (err error) {
	err = s.Store.RecordLogin(ctx, a1, a2)
	s.m.StoreError("RecordLogin", err)
	return
}

func (s *countingStore) RecordLoginFailure(ctx context.Context, a1 string, a2 string, a3 time.Time, a4 time.Duration) (r0 store.FailureCount, err error) {
	r0, err = s.Store.RecordLoginFailure(ctx, a1, a2, a3, a4)
	s.m.StoreError("RecordLoginFailure", err)
	return
}

func (s *countingStore) RemovePublicKey(ctx context.Context, a1 string, a2 string) (err error) {
	err = s.Store.RemovePublicKey(ctx, a1, a2)
	s.m.StoreError("RemovePublicKey", err)
	return
}

func (s *countingStore) RequestHelp(ctx context.Context, a1 string, a2 string, a3 time.Time) (r0 store.HelpRequest, r1 int, r2 bool, err error) {
	r0, r1, r2, err = s.Store.RequestHelp(ctx, a1, a2, a3)
	s.m.StoreError("RequestHelp", err)
	return
}

func (s *countingStore) ResolveHelpRequest(ctx context.Context, a1 int64, a2 string, a3 time.Time) (r0 store.HelpRequest, err error) {
	r0, err = s.Store.ResolveHelpRequest(ctx, a1, a2, a3)
	s.m.StoreError("ResolveHelpRequest", err)
	return
}

func (s *countingStore) RetractAnnouncement(ctx context.Context, a1 int64, a2 string, a3 time.Time) (r0 store.Announcement, err error) {
	r0, err = s.Store.RetractAnnouncement(ctx, a1, a2, a3)
	s.m.StoreError("RetractAnnouncement", err)
	return
}

func (s *countingStore) SetDisabled(ctx context.Context, a1 string, a2 bool) (err error) {
	err = s.Store.SetDisabled(ctx, a1, a2)
	s.m.StoreError("SetDisabled", err)
	return
}

func (s *countingStore) SetPasswordHash(ctx context.Context, a1 string, a2 string, a3 bool) (err error) {
	err = s.Store.SetPasswordHash(ctx, a1, a2, a3)
	s.m.StoreError("SetPasswordHash", err)
	return
}

func (s *countingStore) TouchWebSession(ctx context.Context, a1 int64, a2 time.Time, a3 time.Time) (err error) {
	err = s.Store.TouchWebSession(ctx, a1, a2, a3)
	s.m.StoreError("TouchWebSession", err)
	return
}

func (s *countingStore) UnclaimHelpRequest(ctx context.Context, a1 int64, a2 string) (r0 store.HelpRequest, err error) {
	r0, err = s.Store.UnclaimHelpRequest(ctx, a1, a2)
	s.m.StoreError("UnclaimHelpRequest", err)
	return
}

func (s *countingStore) UpdateUser(ctx context.Context, a1 string, a2 store.UserUpdate) (r0 store.User, r1 store.User, err error) {
	r0, r1, err = s.Store.UpdateUser(ctx, a1, a2)
	s.m.StoreError("UpdateUser", err)
	return
}

func (s *countingStore) UserByKeyFingerprint(ctx context.Context, a1 string) (r0 store.User, err error) {
	r0, err = s.Store.UserByKeyFingerprint(ctx, a1)
	s.m.StoreError("UserByKeyFingerprint", err)
	return
}

func (s *countingStore) UserByName(ctx context.Context, a1 string) (r0 store.User, err error) {
	r0, err = s.Store.UserByName(ctx, a1)
	s.m.StoreError("UserByName", err)
	return
}

func (s *countingStore) WebSessionByTokenHash(ctx context.Context, a1 string, a2 time.Time) (r0 store.WebSession, err error) {
	r0, err = s.Store.WebSessionByTokenHash(ctx, a1, a2)
	s.m.StoreError("WebSessionByTokenHash", err)
	return
}

func (s *countingStore) AddSubmission(ctx context.Context, a1 *store.Submission) (err error) {
	err = s.Store.AddSubmission(ctx, a1)
	s.m.StoreError("AddSubmission", err)
	return
}

func (s *countingStore) AssignmentByName(ctx context.Context, a1 string) (r0 store.Assignment, err error) {
	r0, err = s.Store.AssignmentByName(ctx, a1)
	s.m.StoreError("AssignmentByName", err)
	return
}

func (s *countingStore) ListAccommodations(ctx context.Context) (r0 []store.Accommodation, err error) {
	r0, err = s.Store.ListAccommodations(ctx)
	s.m.StoreError("ListAccommodations", err)
	return
}

func (s *countingStore) ListAssignments(ctx context.Context) (r0 []store.Assignment, err error) {
	r0, err = s.Store.ListAssignments(ctx)
	s.m.StoreError("ListAssignments", err)
	return
}

func (s *countingStore) ListExtensions(ctx context.Context, a1 string) (r0 []store.Extension, err error) {
	r0, err = s.Store.ListExtensions(ctx, a1)
	s.m.StoreError("ListExtensions", err)
	return
}

func (s *countingStore) ListGrades(ctx context.Context, a1 string) (r0 []store.Grade, err error) {
	r0, err = s.Store.ListGrades(ctx, a1)
	s.m.StoreError("ListGrades", err)
	return
}

func (s *countingStore) ListSubmissions(ctx context.Context, a1 string, a2 string) (r0 []store.Submission, err error) {
	r0, err = s.Store.ListSubmissions(ctx, a1, a2)
	s.m.StoreError("ListSubmissions", err)
	return
}

func (s *countingStore) MarkAssignmentReleased(ctx context.Context, a1 string, a2 time.Time) (r0 store.Assignment, err error) {
	r0, err = s.Store.MarkAssignmentReleased(ctx, a1, a2)
	s.m.StoreError("MarkAssignmentReleased", err)
	return
}

func (s *countingStore) PutAssignment(ctx context.Context, a1 store.Assignment, a2 time.Time) (r0 store.Assignment, r1 bool, r2 store.Assignment, err error) {
	r0, r1, r2, err = s.Store.PutAssignment(ctx, a1, a2)
	s.m.StoreError("PutAssignment", err)
	return
}

func (s *countingStore) PutGrade(ctx context.Context, a1 store.Grade) (err error) {
	err = s.Store.PutGrade(ctx, a1)
	s.m.StoreError("PutGrade", err)
	return
}

func (s *countingStore) RecordRelease(ctx context.Context, a1 string, a2 string, a3 time.Time) (r0 bool, err error) {
	r0, err = s.Store.RecordRelease(ctx, a1, a2, a3)
	s.m.StoreError("RecordRelease", err)
	return
}

func (s *countingStore) ReleasedTo(ctx context.Context, a1 string) (r0 []string, err error) {
	r0, err = s.Store.ReleasedTo(ctx, a1)
	s.m.StoreError("ReleasedTo", err)
	return
}

func (s *countingStore) SetAccommodation(ctx context.Context, a1 store.Accommodation) (err error) {
	err = s.Store.SetAccommodation(ctx, a1)
	s.m.StoreError("SetAccommodation", err)
	return
}

func (s *countingStore) SetExtension(ctx context.Context, a1 store.Extension) (err error) {
	err = s.Store.SetExtension(ctx, a1)
	s.m.StoreError("SetExtension", err)
	return
}

func (s *countingStore) SetFeedbackReleased(ctx context.Context, a1 string, a2 time.Time) (r0 store.Assignment, err error) {
	r0, err = s.Store.SetFeedbackReleased(ctx, a1, a2)
	s.m.StoreError("SetFeedbackReleased", err)
	return
}

func (s *countingStore) SubmissionByID(ctx context.Context, a1 int64) (r0 store.Submission, err error) {
	r0, err = s.Store.SubmissionByID(ctx, a1)
	s.m.StoreError("SubmissionByID", err)
	return
}

func (s *countingStore) UserSetting(ctx context.Context, a1 string, a2 string) (r0 string, err error) {
	r0, err = s.Store.UserSetting(ctx, a1, a2)
	s.m.StoreError("UserSetting", err)
	return
}

func (s *countingStore) SetUserSetting(ctx context.Context, a1 string, a2 string, a3 string) (err error) {
	err = s.Store.SetUserSetting(ctx, a1, a2, a3)
	s.m.StoreError("SetUserSetting", err)
	return
}
