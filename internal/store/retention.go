package store

import (
	"context"
	"time"
)

// Retention deletes the records that would otherwise grow forever: the audit
// log and the login-throttling counters. It is part of Store.
//
// Each call deletes at most limit rows, oldest first, so that a first prune
// of years of history holds the database's write lock only briefly at a time
// (SQLite has one writer); the caller repeats until fewer than limit come back.
type Retention interface {
	// PruneAudit deletes up to limit audit entries older than before and
	// returns how many it deleted. An entry at exactly before is kept.
	PruneAudit(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneLoginFailures deletes up to limit login-failure counters whose last
	// failure is older than before and returns how many it deleted.
	PruneLoginFailures(ctx context.Context, before time.Time, limit int) (int, error)
}
