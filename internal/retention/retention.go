// Package retention deletes, in the background, the records classroomd would
// otherwise keep forever: audit entries and login-failure counters.
//
// What we need: the audit log gains a line for every login, account change
// and check (a class of 100 writes tens of thousands a term), and every
// address that ever mistyped a password leaves a throttling counter behind;
// neither was ever deleted. What we weighed: pruning inside AppendAudit (it
// would put a DELETE on the login path), a database job (SQLite has none, and
// an operator would have to set one up for PostgreSQL), or a goroutine of
// serve's. What we do: serve owns one Pruner; it prunes once at start and then
// every Every (an hour by default), in batches of Batch rows so that a first
// prune of years of history never holds SQLite's single write lock for long,
// and it stops when serve's context ends. Several servers on one PostgreSQL
// database each prune; the deletes are idempotent, so that only costs a query.
//
// Limits: an age of zero keeps that kind forever. Entries are deleted by
// their own time, not by the time of the login they describe; a clock set far
// ahead on the server deletes too early (as it would expire sessions).
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/classroomd/classroomd/internal/store"
)

// How often serve prunes, and how many rows one delete takes at most. The
// ages are serve's --audit-retention-days and --login-failure-retention-days.
const (
	DefaultEvery = time.Hour
	DefaultBatch = 5000
)

// Pruner deletes audit entries older than Audit and login-failure counters
// whose last failure is older than LoginFailures.
type Pruner struct {
	Store         store.Retention
	Audit         time.Duration // 0 keeps audit entries forever
	LoginFailures time.Duration // 0 keeps login-failure counters forever
	Every         time.Duration // 0 means DefaultEvery
	Batch         int           // rows per delete; 0 means DefaultBatch
	Now           func() time.Time
	Log           *slog.Logger
}

// Result is what one prune deleted.
type Result struct {
	Audit, LoginFailures int
}

// Run prunes now and then every p.Every until ctx ends; it returns when ctx
// is done. A failed prune is logged and tried again at the next tick.
func (p *Pruner) Run(ctx context.Context) {
	every := p.Every
	if every <= 0 {
		every = DefaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := p.Prune(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.logger().Warn("retention: pruning failed; trying again later", "in", every, "err", err)
		} else if res.Audit > 0 || res.LoginFailures > 0 {
			p.logger().Info("retention: pruned", "audit_entries", res.Audit, "login_failure_counters", res.LoginFailures)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Prune deletes everything older than the ages at once, batch by batch, and
// returns what it deleted (also what it deleted before an error).
func (p *Pruner) Prune(ctx context.Context) (Result, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	t := now()
	var res Result
	if p.Audit > 0 {
		n, err := p.drain(ctx, t.Add(-p.Audit), p.Store.PruneAudit)
		res.Audit = n
		if err != nil {
			return res, fmt.Errorf("prune audit entries older than %s: %w", p.Audit, err)
		}
	}
	if p.LoginFailures > 0 {
		n, err := p.drain(ctx, t.Add(-p.LoginFailures), p.Store.PruneLoginFailures)
		res.LoginFailures = n
		if err != nil {
			return res, fmt.Errorf("prune login failures older than %s: %w", p.LoginFailures, err)
		}
	}
	return res, nil
}

// drain calls prune until a batch comes back short.
func (p *Pruner) drain(ctx context.Context, before time.Time, prune func(context.Context, time.Time, int) (int, error)) (int, error) {
	batch := p.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := prune(ctx, before, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}

func (p *Pruner) logger() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}
