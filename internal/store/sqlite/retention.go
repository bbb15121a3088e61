package sqlite

import (
	"context"
	"fmt"
	"time"
)

// PruneAudit deletes up to limit audit entries older than before, oldest
// first (audit_log_at serves both the selection and the order).
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM audit_log WHERE id IN
		(SELECT id FROM audit_log WHERE at < ? ORDER BY at, id LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune audit log before %s: %w", before.UTC().Format(time.RFC3339), faultErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune audit log: %w", err)
	}
	return int(n), nil
}

// PruneLoginFailures deletes up to limit counters whose last failure is older than before.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_failures WHERE (scope, key) IN
		(SELECT scope, key FROM login_failures WHERE last_failure < ? LIMIT ?)`, micros(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune login failures before %s: %w", before.UTC().Format(time.RFC3339), faultErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune login failures: %w", err)
	}
	return int(n), nil
}
