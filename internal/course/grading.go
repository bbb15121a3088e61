package course

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/classroomd/classroomd/internal/csvtext"
	"github.com/classroomd/classroomd/internal/store"
)

// GradeOptions select and pace a grading run.
type GradeOptions struct {
	User     string // "" = every student
	Parallel int    // 0 = the number of cores
	// Progress, when set, is called after each student (from one goroutine at a time).
	Progress func(done, total int, row GradeRow)
}

// GradeRow is what grading did for one student.
type GradeRow struct {
	Username string
	Status   string // graded, not submitted, extended until ..., not due until ..., error ...
	Score    float64
	MaxScore float64
	Receipt  string
}

// Grade grades each student whose own deadline has passed, in fresh
// sandboxes, several at once. Students who never submitted are collected
// first (CollectDue). Re-running it re-grades.
func (s *Service) Grade(ctx context.Context, by Actor, name string, opt GradeOptions) ([]GradeRow, error) {
	sa, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return nil, err
	}
	a, err := s.loaded(name)
	if err != nil {
		return nil, err
	}
	if _, err := s.CollectDue(ctx, name); err != nil {
		return nil, err
	}
	students, err := s.students(ctx)
	if err != nil {
		return nil, err
	}
	if opt.User != "" {
		var one []store.User
		for _, u := range students {
			if u.Username == opt.User {
				one = append(one, u)
			}
		}
		if len(one) == 0 {
			return nil, fmt.Errorf("%s is not an enabled student", opt.User)
		}
		students = one
	}
	m, err := s.deadlines(ctx, sa)
	if err != nil {
		return nil, err
	}
	n := opt.Parallel
	if n <= 0 {
		n = runtime.NumCPU()
	}
	rows := make([]GradeRow, len(students))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		sem  = make(chan struct{}, n)
	)
	for i, u := range students {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			row := s.gradeOne(ctx, by, sa, a, u, deadlineOf(sa, m, u.Username))
			rows[i] = row
			mu.Lock()
			done++
			if opt.Progress != nil {
				opt.Progress(done, len(students), row)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return rows, nil
}

func (s *Service) gradeOne(ctx context.Context, by Actor, sa store.Assignment, a *Assignment, u store.User, d Deadline) GradeRow {
	row := GradeRow{Username: u.Username}
	if !s.now().After(d.Due) {
		if d.Extended || d.ExtraDays > 0 {
			row.Status = "extended until " + d.Due.Format(time.RFC3339)
		} else {
			row.Status = "not due until " + d.Due.Format(time.RFC3339)
		}
		return row
	}
	subs, err := s.Store.ListSubmissions(ctx, sa.Name, u.Username)
	if err != nil {
		row.Status = "error: " + err.Error()
		return row
	}
	g := store.Grade{Assignment: sa.Name, Username: u.Username, GradedAt: s.now(), Results: "{}"}
	var res Results
	if len(subs) == 0 {
		row.Status = StatusNotSubmitted
	} else {
		sub := subs[len(subs)-1]
		g.SubmissionID, row.Receipt = sub.ID, sub.SHA256
		files, err := s.readSnapshot(sub)
		if err == nil {
			res, err = s.runTests(ctx, a, u, files, false)
		}
		switch {
		case err != nil:
			row.Status = "error: " + err.Error()
		case res.Error != "":
			row.Status = "error: " + res.Error
		default:
			row.Status = StatusGraded
			row.Score, row.MaxScore = res.Score, res.MaxScore
			if sub.Late && sa.LatePenalty > 0 {
				days := math.Ceil(sub.SubmittedAt.Sub(d.Due).Hours() / 24)
				row.Score = math.Max(0, res.Score*(1-sa.LatePenalty*days))
			}
		}
	}
	b, _ := json.Marshal(res)
	g.Results, g.Score, g.MaxScore, g.Status = string(b), row.Score, row.MaxScore, row.Status
	if err := s.Store.PutGrade(ctx, g); err != nil {
		row.Status = "error: " + err.Error()
	}
	s.audit(ctx, by, "assignment.grade", u.Username, outcomeOf(row.Status), fmt.Sprintf("%s: %s, %g/%g, receipt %s", sa.Name, row.Status, row.Score, row.MaxScore, row.Receipt))
	return row
}

func outcomeOf(status string) string {
	if len(status) >= 5 && status[:5] == "error" {
		return "error"
	}
	return "ok"
}

// Check runs the visible tests on username's current files in fresh
// sandboxes: the same harness and the same result as grading. Hidden tests
// are not run, so they are never named.
func (s *Service) Check(ctx context.Context, by Actor, name, username string) (Results, error) {
	sa, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return Results{}, fmt.Errorf("there is no assignment %q", name)
	}
	if sa.ReleasedAt.IsZero() {
		return Results{}, fmt.Errorf("%s is not released yet: %w", name, ErrNotReleased)
	}
	a, err := s.loaded(name)
	if err != nil {
		return Results{}, err
	}
	u, err := s.Store.UserByName(ctx, username)
	if err != nil {
		return Results{}, err
	}
	if err := s.checkQuota(ctx, a, username); err != nil {
		s.audit(ctx, by, "assignment.check", username, "denied", name+": too many checks")
		return Results{}, err
	}
	files, err := s.gather(username, a)
	if err != nil {
		return Results{}, err
	}
	s.noteCheck(name, username, func(c *CheckState) { c.Running = true })
	res, err := s.runTests(ctx, a, u, files, true)
	s.noteCheck(name, username, func(c *CheckState) {
		c.Running, c.At, c.Err = false, s.now(), ""
		switch {
		case err != nil:
			c.Err = err.Error()
		case res.Error != "":
			c.Err = res.Error
		default:
			c.Results = res
		}
	})
	outcome, detail := "ok", fmt.Sprintf("%s: %g/%g", name, res.Score, res.MaxScore)
	if err != nil {
		outcome, detail = "error", name+": "+err.Error()
	}
	s.audit(ctx, by, "assignment.check", username, outcome, detail)
	return res, err
}

// ExportRow is one line of the grades export.
type ExportRow struct {
	Username    string  `json:"username"`
	FullName    string  `json:"full_name"`
	Email       string  `json:"email"`
	Score       float64 `json:"score"`
	MaxScore    float64 `json:"max_score"`
	Late        bool    `json:"late"`
	SubmittedAt string  `json:"submitted_at"`
	Receipt     string  `json:"receipt"`
	Status      string  `json:"status"`
}

// ExportColumns are the CSV header, in order.
var ExportColumns = []string{"username", "full_name", "email", "score", "max_score", "late", "submitted_at", "receipt", "status"}

// Grades returns one row per enabled student for the export.
func (s *Service) Grades(ctx context.Context, name string) ([]ExportRow, error) {
	sa, err := s.Store.AssignmentByName(ctx, name)
	if err != nil {
		return nil, err
	}
	students, err := s.students(ctx)
	if err != nil {
		return nil, err
	}
	gs, err := s.Store.ListGrades(ctx, name)
	if err != nil {
		return nil, err
	}
	grade := map[string]store.Grade{}
	for _, g := range gs {
		grade[g.Username] = g
	}
	subs, err := s.Store.ListSubmissions(ctx, name, "")
	if err != nil {
		return nil, err
	}
	byID, latest := map[int64]store.Submission{}, map[string]store.Submission{}
	for _, sub := range subs {
		byID[sub.ID], latest[sub.Username] = sub, sub
	}
	m, err := s.deadlines(ctx, sa)
	if err != nil {
		return nil, err
	}
	now := s.now()
	rows := make([]ExportRow, 0, len(students))
	for _, u := range students {
		r := ExportRow{Username: u.Username, FullName: u.FullName, Email: u.Email}
		d := deadlineOf(sa, m, u.Username)
		sub, hasSub := latest[u.Username]
		if g, ok := grade[u.Username]; ok {
			r.Score, r.MaxScore, r.Status = g.Score, g.MaxScore, g.Status
			if gs, ok := byID[g.SubmissionID]; ok {
				sub, hasSub = gs, true
			}
		} else if !now.After(d.Due) && (d.Extended || d.ExtraDays > 0) {
			r.Status = "extended until " + d.Due.Format(time.RFC3339)
		} else if !now.After(d.Due) && !hasSub {
			r.Status = "not due until " + d.Due.Format(time.RFC3339)
		} else if !hasSub {
			r.Status = StatusNotSubmitted
		} else {
			r.Status = "not graded"
		}
		if hasSub {
			r.Late, r.SubmittedAt, r.Receipt = sub.Late, sub.SubmittedAt.Format(time.RFC3339), sub.SHA256
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// WriteGrades writes rows as "csv" or "json".
func WriteGrades(w io.Writer, rows []ExportRow, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []ExportRow{}
		}
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write(ExportColumns)
		for _, r := range rows {
			cw.Write([]string{r.Username, csvtext.SpreadsheetText(r.FullName), csvtext.SpreadsheetText(r.Email), strconv.FormatFloat(r.Score, 'f', -1, 64), strconv.FormatFloat(r.MaxScore, 'f', -1, 64),
				strconv.FormatBool(r.Late), r.SubmittedAt, r.Receipt, r.Status})
		}
		cw.Flush()
		return cw.Error()
	}
	return fmt.Errorf("unknown format %q: use csv or json", format)
}

// StudentGrade is what a student sees of one assignment's grade once its
// feedback is released.
type StudentGrade struct {
	Assignment string
	Grade      store.Grade
	Results    Results
}

// StudentGrades returns username's grades of the assignments whose feedback is released.
func (s *Service) StudentGrades(ctx context.Context, username string) ([]StudentGrade, error) {
	as, err := s.Store.ListAssignments(ctx)
	if err != nil {
		return nil, err
	}
	var out []StudentGrade
	for _, a := range as {
		if a.FeedbackReleasedAt.IsZero() {
			continue
		}
		gs, err := s.Store.ListGrades(ctx, a.Name)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.Username == username {
				sg := StudentGrade{Assignment: a.Name, Grade: g}
				json.Unmarshal([]byte(g.Results), &sg.Results)
				out = append(out, sg)
			}
		}
	}
	return out, nil
}

// ErrTooManyChecks is wrapped by Check's error over max_checks_per_hour.
var ErrTooManyChecks = errors.New("too many checks")

// checkQuota refuses a check over the assignment's max_checks_per_hour,
// counted from the audit log (the checks that ran in the last hour).
func (s *Service) checkQuota(ctx context.Context, a *Assignment, username string) error {
	max := a.Config.MaxChecksPerHour
	if max <= 0 {
		return nil
	}
	es, err := s.Store.ListAudit(ctx, store.AuditFilter{User: username, Limit: 10 * max})
	if err != nil {
		return err
	}
	since := s.now().Add(-time.Hour)
	var times []time.Time
	for _, e := range es {
		if e.Action == "assignment.check" && e.Target == username && e.Outcome != "denied" && e.At.After(since) && strings.HasPrefix(e.Detail, a.Name+":") {
			times = append(times, e.At)
		}
	}
	if len(times) < max {
		return nil
	}
	oldest := times[0]
	for _, t := range times {
		if t.Before(oldest) {
			oldest = t
		}
	}
	return fmt.Errorf("you checked %s %d times in the last hour, the most it allows; try again after %s: %w",
		a.Name, len(times), oldest.Add(time.Hour).Format("15:04 MST"), ErrTooManyChecks)
}
